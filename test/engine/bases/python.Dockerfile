# Stand-in for python:3.13-slim-trixie: Debian trixie's python3.13, with python and python3 in
# /usr/local/bin as in the official image, and its venv module with ensurepip (Debian's
# python3.13-venv), which the official image has built in. Test-only; see ../bases.ts.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.13 python3.13-venv \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && ln -s /usr/bin/python3.13 /usr/local/bin/python3 \
 && ln -s /usr/bin/python3.13 /usr/local/bin/python
ENV LANG=C.UTF-8
CMD ["python3"]
