# Container image of edgenas-coordinator: the coordinator (gRPC 50051, metrics 9464); mount a volume at /var/lib/edgenas.
# Build from the repository root:
#   docker build -f deploy/docker/edgenas-coordinator.Dockerfile -t ghcr.io/edgenas/edgenas-coordinator:0.1.0 .
# Debian base with the same packages as scripts/install_deps.sh (the
# LibTorch, gRPC, SQLite and Fashion-MNIST runtime come from them).
FROM debian:bookworm AS build
COPY scripts/install_deps.sh /src/scripts/install_deps.sh
RUN /src/scripts/install_deps.sh && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DEDGENAS_BUILD_TESTS=OFF -DEDGENAS_BUILD_BENCH=OFF \
 && ninja -C /build edgenas-coordinator

FROM debian:bookworm
COPY scripts/install_deps.sh /tmp/install_deps.sh
RUN /tmp/install_deps.sh && rm -rf /var/lib/apt/lists/* /tmp/install_deps.sh \
 && useradd --system --home /var/lib/edgenas --create-home edgenas
COPY --from=build /build/bin/edgenas-coordinator /usr/local/bin/edgenas-coordinator
USER edgenas
WORKDIR /var/lib/edgenas
EXPOSE 50051 9464
ENTRYPOINT ["/usr/local/bin/edgenas-coordinator"]
# Defaults for `docker run`; Kubernetes args replace them (see deploy/kubernetes).
CMD ["--listen=0.0.0.0:50051", "--metrics_listen=0.0.0.0:9464", "--db=/var/lib/edgenas/edgenas.db"]
