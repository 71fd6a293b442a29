# The lab image — minimal for now: the learner kit (issue 8) adds the shell,
# the checked exercises, and CI that builds this image locally. Not yet built
# in CI. Run: docker run --privileged --rm vethlab   (every lab)
# Least privilege instead of --privileged:
#   --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN --security-opt seccomp=unconfined
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpcap-dev pkg-config
WORKDIR /src
COPY . .
RUN cargo build --release -p vethlab

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpcap0.8 iproute2 tcpdump ethtool iputils-ping bridge-utils \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/vethlab /usr/local/bin/vethlab
COPY labs /usr/share/vethlab/labs
COPY fixtures /usr/share/vethlab/fixtures
ENTRYPOINT ["vethlab"]
CMD ["run"]
