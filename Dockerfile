# syntax=docker/dockerfile:1
# One image for every Isthmus component: `isthmus serve <component>`, `isthmus migrate`, ...
#   docker build -t isthmus:0.1.0 --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
# Targets: `runtime` (default, production) and `dev` (sources under /app for the Tilt live-update loop).
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src

# Third-party wheels first, pinned by the lock (used as constraints so the dev extra stays out):
# this layer is rebuilt only when the dependencies change, not on every source edit.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > runtime-requirements.txt \
 && pip wheel --wheel-dir /wheels --constraint requirements.lock --requirement runtime-requirements.txt

# Then Isthmus itself and every reference connector under connectors/<name>/ (each its own package).
COPY . .
RUN set -eu; \
    set -- clients/python . ; \
    for dir in connectors/*/; do \
        if [ -f "${dir}pyproject.toml" ]; then set -- "$@" "$dir"; fi; \
    done; \
    pip wheel --wheel-dir /wheels --find-links /wheels --constraint requirements.lock "$@" \
 && python -m venv /opt/isthmus \
 && /opt/isthmus/bin/pip install --no-index --find-links /wheels "$@" \
 && /opt/isthmus/bin/python -m compileall -q /opt/isthmus/lib \
 && /opt/isthmus/bin/isthmus --help > /dev/null


FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
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
    ISTHMUS_METRICS_PORT=9464

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
FROM runtime AS dev
USER root
COPY --chown=10001:10001 services /app/services
ENV PYTHONPATH=/app/services
USER 10001:10001
