# A stand-in base as `up` builds on it (test/engine/up-builds.test.ts): `up` passes no base image
# build arguments and no CA secret, so the stand-in is tagged under the Dockerfiles' default base
# name in the tier's private daemon and carries this machine's CA bundle (the TLS proxy's CA) in
# its trust store, as a base image of a company behind such a proxy would. Test-only; see ../bases.ts.
ARG BASE
FROM ${BASE}
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# Node (corepack, pnpm) and uv read these; neither reads the system store by default.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
