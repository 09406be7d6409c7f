# The Todo Chatbot frontend: Next.js with output: 'standalone', built with pnpm.
# Build context: the frontend's source dir. todo-deploy runs
#   docker build -f <todo-deploy>/Dockerfiles/frontend.Dockerfile \
#     --build-arg NEXT_PUBLIC_BACKEND_URL=http://localhost:30001 -t todo-frontend:<tag> ./frontend
# Needs BuildKit for the cache mounts: a docker 23+ client with the buildx plugin, or a 20.10
# client with DOCKER_BUILDKIT=1; the legacy builder fails on RUN --mount.
# No `# syntax=` line: it makes every build pull docker/dockerfile first, which fails offline or
# behind an air gap; the builtin frontend of Engine 20.10 and later has every feature used here.

# Node 24 is the LTS line that still ships corepack (Node 25 dropped it).
ARG NODE_IMAGE=node:24.11.1-alpine3.22

FROM ${NODE_IMAGE} AS base
ENV PNPM_HOME=/pnpm \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    NEXT_TELEMETRY_DISABLED=1
ENV PATH=$PNPM_HOME:$PATH
# pnpm's version comes from package.json "packageManager" when the app pins one.
RUN corepack enable pnpm
WORKDIR /app

FROM base AS deps
# Only the manifests, so the dependency layer is reused until they change. The globs make
# pnpm-workspace.yaml and .npmrc optional.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml* .npmrc* ./
# Corepack fetches pnpm on first use into its cache: a cache mount shared with the builder
# stage, so pnpm is fetched once, not once per stage. Behind a TLS-intercepting proxy, pass its
# CA bundle as the build secret `ca` (`--secret id=ca,src=<bundle.pem>`): Node trusts it for
# these steps only, and no layer holds it.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    --mount=type=cache,id=corepack,target=/root/.cache/node/corepack \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    pnpm install --frozen-lockfile

FROM base AS builder
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# NEXT_PUBLIC_* values are inlined into the browser bundle by `next build`: setting them only
# at runtime has no effect on client code, so the backend URL must be a build argument.
ARG NEXT_PUBLIC_BACKEND_URL=http://localhost:30001
ENV NEXT_PUBLIC_BACKEND_URL=$NEXT_PUBLIC_BACKEND_URL \
    NODE_ENV=production
# Without output: 'standalone' there is no server.js to run; say so here, not at pod start.
# public/ is optional in a Next.js app but the runner copies it.
RUN --mount=type=cache,id=next-cache,target=/app/.next/cache \
    --mount=type=cache,id=corepack,target=/root/.cache/node/corepack \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    pnpm run build \
 && if [ ! -f .next/standalone/server.js ]; then \
      echo "next build made no .next/standalone/server.js: set output: 'standalone' in next.config" >&2; exit 1; \
    fi \
 && mkdir -p public

FROM ${NODE_IMAGE} AS runner
WORKDIR /app
# HOSTNAME: Next.js standalone binds to it, and Kubernetes sets it to the pod name; the chart
# sets it too, because the pod's env wins over the image's.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0
# The standalone output does not include public/ or .next/static: without these every static
# asset is a 404. Root-owned and read-only to the app user; only .next/cache is writable
# (the chart mounts an emptyDir there when the root filesystem is read-only).
COPY --from=builder /app/public ./public
COPY --from=builder /app/.next/standalone ./
COPY --from=builder /app/.next/static ./.next/static
RUN mkdir -p .next/cache && chown 1001:1001 .next/cache
# Numeric: a runAsNonRoot pod cannot verify a named user and refuses to start.
USER 1001:1001
EXPOSE 3000
# The image has no curl; node's fetch does the same. Kubernetes ignores HEALTHCHECK (the
# chart's probes count there); it serves `docker run` and compose.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM; Next.js's server closes on it.
CMD ["node", "server.js"]
