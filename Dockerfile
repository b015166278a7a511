# mqttbench in a container: `make image` (or docker/podman build .).
# Stage 1 builds with Debian 12's toolchain and -dev packages; stage 2 is
# Debian 12 slim with only the runtime libraries (libmosquitto, cJSON,
# OpenSSL), the binary, its man page, and a user without privileges. A result is written with --json -
# (stdout) so that `kubectl logs` collects it; see deploy/kubernetes/.
FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential pkg-config libmosquitto-dev libcjson-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src/ src/
COPY docs/mqttbench.1 docs/
# No .git in the build context: the revision comes from `make image`.
ARG GIT_REV=unknown
RUN make -j"$(nproc)" mqttbench GIT_REV="$GIT_REV" \
 && ./mqttbench --version

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmosquitto1 libcjson1 libssl3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin mqttbench
COPY --from=build /src/mqttbench /usr/local/bin/mqttbench
COPY --from=build /src/docs/mqttbench.1 /usr/local/share/man/man1/mqttbench.1
USER 10001:10001
# Results without --json go to results/ under here.
WORKDIR /home/mqttbench
ENTRYPOINT ["mqttbench"]
CMD ["--help"]
