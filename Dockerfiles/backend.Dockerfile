# The Todo Chatbot backend: FastAPI served by uvicorn, dependencies locked with uv.
# Build context: the backend's source dir (with pyproject.toml and uv.lock). todo-deploy runs
#   docker build -f <todo-deploy>/Dockerfiles/backend.Dockerfile -t todo-backend:<tag> ./backend
# Needs BuildKit for the cache and bind mounts: a docker 23+ client with the buildx plugin, or a 20.10
# client with DOCKER_BUILDKIT=1; the legacy builder fails on RUN --mount.
# No `# syntax=` line: it makes every build pull docker/dockerfile first, which fails offline or
# behind an air gap; the builtin frontend of Engine 20.10 and later has every feature used here.

# Builder and runtime must share this base: the venv's python is a symlink to its interpreter.
ARG PYTHON_IMAGE=python:3.13.9-slim-trixie
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.9.5

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /uvx /bin/
# Byte-compile now (the runtime filesystem is read-only); copy, not hard-link, out of the cache
# mount; no dev dependencies; use the base image's python, never a downloaded one.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_DEV=1 \
    UV_PYTHON_DOWNLOADS=0
WORKDIR /app
# Dependencies first, from the lock file alone, so this layer survives source changes.
# --locked fails the build when uv.lock is out of date with pyproject.toml.
# Behind a TLS-intercepting proxy, pass its CA bundle as the build secret `ca`
# (`--secret id=ca,src=<bundle.pem>`): uv trusts it for this step only, and no layer holds it.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export SSL_CERT_FILE=/run/secrets/ca; fi; \
    uv sync --locked --no-install-project --no-editable
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export SSL_CERT_FILE=/run/secrets/ca; fi; \
    uv sync --locked --no-editable

FROM ${PYTHON_IMAGE} AS runtime
# The venv (with the project, when it is a package) and the source, for an app that is run
# from its directory rather than installed. Root-owned: the app user only reads it.
COPY --from=builder /app /app
WORKDIR /app
# UVICORN_*: uvicorn reads its app and options from these, so the chart (or `docker run -e`)
# can change the port and the module without replacing CMD.
ARG APP_MODULE=main:app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UVICORN_APP=$APP_MODULE \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000
# Numeric: a runAsNonRoot pod cannot verify a named user and refuses to start.
USER 1001:1001
EXPOSE 8000
# The image has no curl; urlopen raises on refusal and on any 4xx/5xx.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('UVICORN_PORT', '8000') + '/api/health', timeout=4)"]
# Exec form, no shell: uvicorn is PID 1 and gets SIGTERM directly, finishing in-flight requests
# and running the lifespan shutdown. One process per container (no --workers): Kubernetes
# scales with replicas. --proxy-headers takes the client address from X-Forwarded-* sent by
# the addresses in FORWARDED_ALLOW_IPS (uvicorn's default: 127.0.0.1 only).
CMD ["uvicorn", "--proxy-headers"]
