#!/usr/bin/env bash
# What the cluster tier's node needs from Debian's packages, installed when missing: containerd
# and runc (the runtime), the CNI plugins (bridge, host-local, portmap, loopback in /usr/lib/cni),
# iptables and conntrack (kube-proxy), iproute2 (the network namespace), gcc (the pause image),
# htpasswd (apache2-utils: the bcrypt file of the test registry with authentication).
# The engine tier's installer adds docker.io, debootstrap and postgresql. Needs root.
set -euo pipefail
missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
command -v iptables >/dev/null || missing+=(iptables)
command -v conntrack >/dev/null || missing+=(conntrack)
command -v ip >/dev/null || missing+=(iproute2)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
command -v htpasswd >/dev/null || missing+=(apache2-utils)   # the test registry's bcrypt password file
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "the cluster tier needs root to install: ${missing[*]}" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "$(id -u)" = 0 ] || { echo "the cluster tier needs root (network namespaces, the kubelet)" >&2; exit 1; }
