# syntax=docker/dockerfile:1
# One image for every Isthmus component: `isthmus serve <component>`, `isthmus migrate`, ...
#   docker build -t isthmus:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
# Targets: `runtime` (the last stage, so the default: production) and `dev` (sources under /app for the
# Tilt live-update loop). Build arguments (docs/operating.md#the-image):
#   BASE_IMAGE         a Debian-based image with Python 3.11+ as `python` (default python:3.11-slim-bookworm)
#   PACKAGE_INDEX_URL  a private Python package index (a PyPI mirror) instead of pypi.org
#   CA_BUNDLE          PEM certificates to trust, in addition to the system's, when pip fetches packages
#                      (a TLS-inspecting proxy or a private index with an internal CA)
ARG PYTHON_VERSION=3.11
ARG BASE_IMAGE=python:${PYTHON_VERSION}-slim-bookworm

FROM ${BASE_IMAGE} AS builder
ARG PACKAGE_INDEX_URL=""
ARG CA_BUNDLE=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src

# The venv the runtime stage copies; its pip also builds the wheels, so the base image needs only
# `python` with the venv module (the official images and Debian's python3-venv both have it).
# Index and CA go to pip through the environment of each step, never into an image layer's ENV.
RUN python -m venv /opt/isthmus \
 && printf '%s\n' \
        'if [ -n "${PACKAGE_INDEX_URL}" ]; then export PIP_INDEX_URL="${PACKAGE_INDEX_URL}"; fi' \
        'if [ -n "${CA_BUNDLE}" ]; then' \
        '    cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null > /tmp/pip-ca.pem || true' \
        '    printf "%s\n" "${CA_BUNDLE}" >> /tmp/pip-ca.pem' \
        '    export PIP_CERT=/tmp/pip-ca.pem' \
        'fi' > /tmp/pip-env.sh

# Third-party wheels first, pinned by the lock (used as constraints so the dev extra stays out):
# this layer is rebuilt only when the dependencies change, not on every source edit. The packages of
# this repository (isthmus-client) are built in the next step.
COPY pyproject.toml requirements.lock ./
RUN set -eu; . /tmp/pip-env.sh; \
    python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(d for d in deps if not d.startswith('isthmus')))" > runtime-requirements.txt; \
    /opt/isthmus/bin/pip wheel --wheel-dir /wheels --constraint requirements.lock \
        --requirement runtime-requirements.txt

# Then the client package, Isthmus itself and every reference connector under connectors/<name>/ (each
# its own package; .dockerignore keeps the copyable template out). Building them from source needs
# setuptools from the index; installing them does not: the install takes the wheels just built, by
# name, offline.
COPY . .
RUN set -eu; . /tmp/pip-env.sh; \
    set -- clients/python . ; \
    for dir in connectors/*/; do \
        if [ -f "${dir}pyproject.toml" ]; then set -- "$@" "$dir"; fi; \
    done; \
    /opt/isthmus/bin/pip wheel --wheel-dir /wheels --find-links /wheels --constraint requirements.lock "$@"; \
    names=$(for dir in "$@"; do \
        python -c "import sys, tomllib; print(tomllib.load(open(sys.argv[1], 'rb'))['project']['name'])" \
            "${dir%/}/pyproject.toml"; \
    done); \
    /opt/isthmus/bin/pip install --no-index --find-links /wheels $names; \
    /opt/isthmus/bin/python -m compileall -q /opt/isthmus/lib; \
    /opt/isthmus/bin/isthmus --help > /dev/null; \
    rm -f /tmp/pip-ca.pem


# What both targets share: the venv, the non-root user and the read-only-friendly environment.
FROM ${BASE_IMAGE} AS release
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="isthmus" \
      org.opencontainers.image.description="Customer-data integration hub: connectors, customer master, gRPC services joined by events" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0"

# Bytecode is compiled at build time: the root filesystem is read-only at run time.
ENV PATH=/opt/isthmus/bin:${PATH} \
    VIRTUAL_ENV=/opt/isthmus \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ISTHMUS_DATA_DIR=/var/lib/isthmus \
    ISTHMUS_GRPC_PORT=50051 \
    ISTHMUS_METRICS_PORT=9464 \
    ISTHMUS_BUILD_REVISION=${REVISION}

RUN groupadd --system --gid 10001 isthmus \
 && useradd --system --uid 10001 --gid isthmus --home-dir /var/lib/isthmus --no-create-home \
        --shell /usr/sbin/nologin isthmus \
 && install -d -o isthmus -g isthmus -m 0750 /var/lib/isthmus
COPY --from=builder /opt/isthmus /opt/isthmus

# The only writable paths the process needs; mount them (emptyDir) when the root filesystem is read-only.
VOLUME ["/var/lib/isthmus", "/tmp"]
WORKDIR /var/lib/isthmus
USER 10001:10001
EXPOSE 50051 9464
ENTRYPOINT ["isthmus"]
CMD ["--help"]


# Development: the same image plus writable sources that shadow the installed package, so the Tilt
# loop can sync edited files in without a rebuild.
FROM release AS dev
USER root
COPY --chown=10001:10001 services /app/services
ENV PYTHONPATH=/app/services
USER 10001:10001


# Production, and the default target because it is the last stage.
FROM release AS runtime
