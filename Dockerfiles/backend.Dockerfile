# The Todo Chatbot backend: FastAPI served by uvicorn, dependencies installed with uv or pip.
# Build context: the backend's source dir. todo-deploy runs
#   docker build -f <todo-deploy>/Dockerfiles/backend.Dockerfile --build-arg PACKAGE_MANAGER=uv \
#     -t todo-backend:<tag> ./backend
# with PACKAGE_MANAGER uv for a project with pyproject.toml and uv.lock, or pip for one with a
# requirements.txt (uv.lock wins when there are both). Only that installer's stage is built,
# and only the base images it needs are pulled: a pip build pulls no uv image.
# Needs BuildKit for the cache and bind mounts: a docker 23+ client with the buildx plugin, or a 20.10
# client with DOCKER_BUILDKIT=1; the legacy builder fails on RUN --mount.
# No `# syntax=` line: it makes every build pull docker/dockerfile first, which fails offline or
# behind an air gap; the builtin frontend of Engine 20.10 and later has every feature used here.

# Builder and runtime must share this base: the venv's python is a symlink to its interpreter.
ARG PYTHON_IMAGE=python:3.13.9-slim-trixie
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.9.5
ARG PACKAGE_MANAGER=uv

FROM ${UV_IMAGE} AS uv

# Each install stage leaves the app in /app with its dependencies in the venv /app/.venv.
FROM ${PYTHON_IMAGE} AS install-uv
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
# (`--secret id=ca,src=<bundle.pem>`): uv and pip trust it for their download steps only, and
# no layer holds it.
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

FROM ${PYTHON_IMAGE} AS install-pip
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /app/.venv
# Dependencies first, from requirements.txt alone, so this layer survives source changes; pip
# byte-compiles what it installs (the runtime filesystem is read-only), and checks the hashes
# when requirements.txt has them.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=requirements.txt \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    /app/.venv/bin/pip install --requirement requirements.txt
COPY . /app

FROM install-${PACKAGE_MANAGER} AS builder

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
