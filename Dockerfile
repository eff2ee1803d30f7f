# finstream's container image: one image for every pod (roles are flags). Built by scripts/image.sh.
# Build stage: Debian's dev packages (scripts/install-deps.sh --build-only) and CMake; runtime stage:
# debian:bookworm-slim with only the shared libraries the binary links, tzdata and ca-certificates.
ARG BASE=docker.io/library/debian:bookworm-slim

FROM ${BASE} AS build
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY CMakeLists.txt /src/
COPY src /src/src
COPY config /src/config
# ccache in a build cache mount: a rebuild recompiles only what changed. The runtime packages are
# those shipping the shared libraries the binary links (usrmerge: ldd says /lib, dpkg /usr/lib).
RUN --mount=type=cache,target=/ccache \
    export CCACHE_DIR=/ccache CCACHE_BASEDIR=/src && \
    cmake -S /src -B /src/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFINSTREAM_TESTS=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache && \
    ninja -C /src/build -j "$(nproc)" finstream && \
    strip /src/build/finstream && \
    /src/build/finstream --version && \
    for lib in $(ldd /src/build/finstream | awk '/=> \// {print $3}'); do \
      real=$(readlink -f "$lib"); \
      dpkg -S "$lib" "/usr$lib" "$real" "/usr$real" 2>/dev/null | head -n 1 | cut -d: -f1 | \
        grep . || { echo "no Debian package ships $lib" >&2; exit 1; }; \
    done | sort -u > /src/build/runtime-packages.txt && \
    cat /src/build/runtime-packages.txt

FROM ${BASE}
ARG VERSION=unknown
LABEL org.opencontainers.image.title="finstream" \
      org.opencontainers.image.description="Stock symbols to technical indicators in PostgreSQL (CAF actors, Kafka)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
COPY --from=build /src/build/runtime-packages.txt /tmp/runtime-packages.txt
# tini as PID 1: forwards SIGTERM/SIGINT to finstream (which then stops cleanly) and reaps children.
RUN apt-get update -q && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      $(cat /tmp/runtime-packages.txt) tzdata ca-certificates tini && \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/runtime-packages.txt && \
    groupadd --system --gid 10001 finstream && \
    useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin finstream
COPY --from=build /src/build/finstream /usr/local/bin/finstream
COPY config/finstream.toml /etc/finstream/finstream.toml
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/finstream"]
CMD ["--help"]
