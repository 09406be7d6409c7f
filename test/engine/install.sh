#!/usr/bin/env bash
# What the engine tier needs from Debian's packages, installed when missing: dockerd and its
# 20.10 client (docker.io), debootstrap (the stand-in bases' rootfs), postgresql (the backend's
# database). Needs root. The tier starts its own dockerd and postgres and stops them by pid;
# it never uses a daemon a package may have started.
set -euo pipefail
missing=()
command -v dockerd >/dev/null && [ -x /usr/bin/docker ] || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "the engine tier needs root to install: ${missing[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || { echo "the engine tier needs root (dockerd, debootstrap)" >&2; exit 1; }
