# Container image of edgenas-agent: a device agent (metrics 9466); on boards prefer deploy/systemd.
# Build from the repository root:
#   docker build -f deploy/docker/edgenas-agent.Dockerfile -t ghcr.io/edgenas/edgenas-agent:0.1.0 .
# Debian base with the same packages as scripts/install_deps.sh (the
# LibTorch, gRPC, SQLite and Fashion-MNIST runtime come from them).
FROM debian:bookworm AS build
COPY scripts/install_deps.sh /src/scripts/install_deps.sh
RUN /src/scripts/install_deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DEDGENAS_BUILD_TESTS=OFF -DEDGENAS_BUILD_BENCH=OFF \
 && ninja -C /build edgenas-agent

FROM debian:bookworm
COPY scripts/install_deps.sh /tmp/install_deps.sh
RUN /tmp/install_deps.sh && rm -rf /var/lib/apt/lists/* /tmp/install_deps.sh \
 && useradd --system --home /var/lib/edgenas --create-home edgenas
COPY --from=build /build/bin/edgenas-agent /usr/local/bin/edgenas-agent
USER edgenas
WORKDIR /var/lib/edgenas
EXPOSE 9466
ENTRYPOINT ["/usr/local/bin/edgenas-agent"]
# Defaults for `docker run`; Kubernetes args replace them (see deploy/kubernetes).
CMD ["--metrics_listen=0.0.0.0:9466"]
