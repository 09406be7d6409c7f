# Stand-in for node:<version>: this machine's Node.js on Debian trixie, laid out like the
# official image. Test-only; see ../bases.ts.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
ARG NODE_VERSION
COPY bin/ /usr/local/bin/
COPY lib/ /usr/local/lib/
# This machine's npm registry mirror serves no signatures for corepack to check, and it reaches
# no other download site: corepack fetches Yarn 2+ from the npm registry (@yarnpkg/cli-dist)
# instead of repo.yarnpkg.com. (Its TLS proxy's CA reaches the build as the secret `ca` the
# shipped Dockerfiles take.)
ENV NODE_VERSION=${NODE_VERSION} \
    COREPACK_INTEGRITY_KEYS=0 \
    COREPACK_NPM_REGISTRY=https://registry.npmjs.org
CMD ["node"]
