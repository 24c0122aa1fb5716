# haystack-orchestrator image: built on Debian 12 with the same scripts as CI, run as non-root.
#   docker build -t haystack-orchestrator .
#   docker run --rm -e RUN_ID=… -e HAYSTACK_DATABASE_URL=postgresql://… haystack-orchestrator
FROM debian:12-slim AS build
COPY . /src
# The install puts the programs, the library package and the bundled knowledge base and demo
# atlas (share/haystack/, where the programs look) under /opt/haystack.
RUN /src/scripts/setup --build-dir /build -- -DCMAKE_BUILD_TYPE=Release \
      -DHAYSTACK_BUILD_TESTS=OFF -DHAYSTACK_BUILD_BENCH=OFF -DCMAKE_INSTALL_PREFIX=/opt/haystack \
    && cmake --install /build

FROM debian:12-slim
# Runtime libraries of the installed programs (the packages owning their DT_NEEDED libraries:
# readelf -d + dpkg -S on haystack-orchestrator, -inference-worker, -atlas and -kb).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libabsl20220623 libcurl4 \
       libfmt9 libgrpc++1.51 libgrpc29 libhdf5-103-1 libpq5 libprotobuf32 libspdlog1.10 \
       libsqlite3-0 libssl3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/haystack /opt/haystack
COPY third_party_licenses /usr/share/doc/haystack/third_party_licenses
RUN useradd --system --uid 10001 --home-dir /work --create-home haystack
USER haystack
WORKDIR /work
# Exit codes 0/1/2/75 are the batch contract (docs/operations.md): retry only on 75.
ENTRYPOINT ["/opt/haystack/bin/haystack-orchestrator"]
