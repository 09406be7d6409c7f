# The Todo Chatbot frontend: Next.js with output: 'standalone', built with npm, yarn or pnpm.
# Build context: the frontend's source dir. todo-deploy runs
#   docker build -f <todo-deploy>/Dockerfiles/frontend.Dockerfile --build-arg PACKAGE_MANAGER=npm \
#     --build-arg NEXT_PUBLIC_BACKEND_URL=http://localhost:30001 -t todo-frontend:<tag> ./frontend
# with PACKAGE_MANAGER the manager whose lockfile the app has (package.json's "packageManager"
# decides when it names one): npm (package-lock.json), yarn (yarn.lock, Yarn 1 or 2+) or pnpm
# (pnpm-lock.yaml). Only that manager's install stage is built.
# Needs BuildKit for the cache mounts: a docker 23+ client with the buildx plugin, or a 20.10
# client with DOCKER_BUILDKIT=1; the legacy builder fails on RUN --mount.
# No `# syntax=` line: it makes every build pull docker/dockerfile first, which fails offline or
# behind an air gap; the builtin frontend of Engine 20.10 and later has every feature used here.

# Node 24 is the LTS line that still ships corepack (Node 25 dropped it).
ARG NODE_IMAGE=node:24.11.1-alpine3.22
ARG PACKAGE_MANAGER=pnpm

FROM ${NODE_IMAGE} AS base
ENV PNPM_HOME=/pnpm \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    YARN_ENABLE_TELEMETRY=0 \
    NEXT_TELEMETRY_DISABLED=1
ENV PATH=$PNPM_HOME:$PATH
# Corepack runs the pnpm or yarn version package.json's "packageManager" pins (without one, its
# own default: Yarn 1 for yarn). npm is the image's own.
RUN corepack enable pnpm yarn
WORKDIR /app

# One install stage per manager. Each copies only the manifests, so the dependency layer is
# reused until they change (the globs make the optional ones optional), and installs exactly
# what the lockfile pins, failing when it is out of date with package.json. Behind a
# TLS-intercepting proxy, pass its CA bundle as the build secret `ca` (`--secret
# id=ca,src=<bundle.pem>`): Node trusts it for these steps only, and no layer holds it.
# Corepack fetches pnpm or yarn on first use into its cache: a cache mount shared with the
# builder stage, so it is fetched once, not once per stage.
FROM base AS deps-npm
COPY package.json package-lock.json .npmrc* ./
RUN --mount=type=cache,id=npm-cache,target=/root/.npm \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci

FROM base AS deps-yarn
# Yarn 2+ links with Plug'n'Play by default, whose dependencies Next.js's standalone output
# cannot trace (vercel/next.js#34592): it gets a node_modules folder instead. Yarn 1 ignores this.
ENV YARN_NODE_LINKER=node-modules
COPY package.json yarn.lock .yarnrc* .npmrc* ./
# Yarn 2+'s own files, when the app has them: a checked-in release (yarnPath), plugins, patches.
# A wildcard in every part of the path, .yarn too: a COPY whose wildcard matches nothing copies
# nothing, but a missing folder before the first wildcard fails the build.
COPY .yar[n]/release[s] ./.yarn/releases/
COPY .yar[n]/plugin[s] ./.yarn/plugins/
COPY .yar[n]/patche[s] ./.yarn/patches/
# Yarn 1 takes --frozen-lockfile, Yarn 2+ --immutable; both caches in one mount.
RUN --mount=type=cache,id=yarn-cache,target=/yarn \
    --mount=type=cache,id=corepack,target=/root/.cache/node/corepack \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    export YARN_CACHE_FOLDER=/yarn/cache YARN_GLOBAL_FOLDER=/yarn/global; \
    case "$(yarn --version)" in \
      1.*) yarn install --frozen-lockfile ;; \
      *) yarn install --immutable ;; \
    esac

FROM base AS deps-pnpm
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml* .npmrc* ./
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    --mount=type=cache,id=corepack,target=/root/.cache/node/corepack \
    --mount=type=secret,id=ca \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    pnpm install --frozen-lockfile

FROM deps-${PACKAGE_MANAGER} AS deps

FROM deps AS builder
COPY . .
ARG PACKAGE_MANAGER
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
    "$PACKAGE_MANAGER" run build \
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
