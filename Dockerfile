# The lab image: vethlab, the labs and their fixtures, and the tools the
# articles type (ip, tcpdump, ethtool, brctl, ifconfig/route, ping, birdc, the
# CNI plugins). Self-contained: a clean clone and Docker are all it needs.
#
#   docker build -t vethlab .
#   docker run --privileged --rm vethlab                           # every lab
#   docker run --privileged --rm -it vethlab shell bridge-arp --step 3
#
# Least privilege instead of --privileged (what ci/image.sh runs; see the
# README's "The lab image" for what each flag is for):
#   docker run --rm --network none --cap-add NET_ADMIN --cap-add NET_RAW \
#     --cap-add SYS_ADMIN vethlab
#
# Both stages are Debian trixie, so the binary links the same glibc and
# libpcap it runs with; trixie's rustc/cargo (1.85) are the MSRV. Works with
# the classic builder (DOCKER_BUILDKIT=0) as well as BuildKit.

FROM debian:trixie-slim AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      rustc cargo libpcap-dev pkg-config ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# The workspace keeps `debug = 1` in [profile.release] for profiling on the
# host; the image gets a stripped binary without debug info.
ENV CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=true CARGO_TERM_COLOR=never
WORKDIR /src
# Dependencies first, against stub sources: this layer (crates downloaded and
# compiled) is reused until Cargo.toml or Cargo.lock change.
COPY Cargo.toml Cargo.lock ./
COPY harness/Cargo.toml harness/
RUN mkdir -p harness/src harness/tests/labs \
    && echo 'fn main() {}' > harness/src/main.rs \
    && : > harness/src/lib.rs \
    && echo 'fn main() {}' > harness/tests/labs/main.rs \
    && cargo fetch --locked --target "$(rustc -vV | sed -n 's/^host: //p')" \
    && cargo build --release --locked -p vethlab \
    && rm -rf harness/src harness/tests target/release/vethlab* \
      target/release/.fingerprint/vethlab-* target/release/deps/vethlab-* \
      target/release/deps/libvethlab-*
# The labs are built into the binary (harness/labs and harness/fixtures link
# to them); the revision names the build in `vethlab --version` (the context
# has no .git: ci/image.sh and the workflows pass it).
COPY labs labs
COPY fixtures fixtures
COPY harness harness
ARG VETHLAB_GIT_REV=unknown
ENV VETHLAB_GIT_REV=$VETHLAB_GIT_REV
RUN cargo build --release --locked -p vethlab \
    && install -m 0755 target/release/vethlab /usr/local/bin/vethlab

FROM debian:trixie-slim
# No docs, man pages or translations (as Docker's official -slim images), and
# of the 16 CNI plugins (54 MB of Go binaries) the six the labs and the
# articles' conflists run: bridge, ptp, host-local, loopback, portmap,
# bandwidth (16 MB); dhcp alone is 9 MB. That keeps the image under 150 MB.
RUN printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
      'path-exclude /usr/share/lintian/*' \
      'path-exclude /usr/lib/cni/*' 'path-include /usr/lib/cni/bridge' 'path-include /usr/lib/cni/ptp' \
      'path-include /usr/lib/cni/host-local' 'path-include /usr/lib/cni/loopback' \
      'path-include /usr/lib/cni/portmap' 'path-include /usr/lib/cni/bandwidth' \
      > /etc/dpkg/dpkg.cfg.d/vethlab-slim \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iproute2 tcpdump ethtool bridge-utils net-tools iputils-ping bird2 \
      containernetworking-plugins procps libpcap0.8t64 \
    && apt-get clean && rm -rf /var/lib/apt/lists/*
# The labs are inside the binary; these copies are for reading (and for
# `--labs /usr/share/vethlab/labs` after editing one).
COPY labs /usr/share/vethlab/labs
COPY fixtures /usr/share/vethlab/fixtures
COPY --from=build /usr/local/bin/vethlab /usr/bin/vethlab
ENTRYPOINT ["vethlab"]
CMD ["run"]
