# The lab image: vethlab, the labs, and the articles' tools (ip, tcpdump,
# ethtool, ping, brctl). The binary is built on the host first, so the image
# needs no Rust toolchain and no registry but Debian's:
#
#   cargo build --release -p vethlab && docker build -t vethlab .
#   docker run --privileged --rm vethlab                           # every lab
#   docker run --privileged --rm -it vethlab shell bridge-arp --step 3
#
# Least privilege instead of --privileged (what CI runs):
#   --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN --security-opt seccomp=unconfined
# (add --security-opt apparmor=unconfined where Docker's AppArmor profile is
# active: it forbids the mounts `vethlab shell` and `ip netns exec` make).
FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpcap0.8 iproute2 tcpdump ethtool iputils-ping bridge-utils procps \
      containernetworking-plugins bird2 \
    && rm -rf /var/lib/apt/lists/*
COPY target/release/vethlab /usr/bin/vethlab
COPY labs /usr/share/vethlab/labs
COPY fixtures /usr/share/vethlab/fixtures
ENTRYPOINT ["vethlab"]
CMD ["run"]
