# Stand-in for node:<version>: this machine's Node.js on Debian trixie, laid out like the
# official image. Test-only; see ../bases.ts.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
ARG NODE_VERSION
COPY bin/ /usr/local/bin/
COPY lib/ /usr/local/lib/
# The registries are behind a TLS-intercepting proxy: Node (npm, corepack, pnpm) trusts its CA.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_VERSION=${NODE_VERSION} \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    COREPACK_INTEGRITY_KEYS=0
CMD ["node"]
