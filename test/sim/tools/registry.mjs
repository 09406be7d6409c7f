// Registries (per host) and what a node's container runtime does with them: `docker push` from
// the user's daemon writes a manifest under a repository and a tag; a pod's kubelet asks
// containerd to pull `host/repo:tag@sha256:…`, which needs the registry to answer, the pod's
// imagePullSecrets when it asks for credentials, the manifest, and a manifest for the node's
// platform. Failure texts are containerd's and the kubelet's (sources cited where each is built).
import { normalizeRef } from './images.mjs';

/**
 * A reference as docker/distribution parses it: { domain, path, tag, digest, familiar, full }.
 * `familiar` is how docker prints it (no docker.io/library), `full` how containerd does.
 */
export function parseImageRef(ref) {
  let rest = ref;
  let digest;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split('/')[0];
  let domain = 'docker.io';
  let path = rest;
  if (rest.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    path = rest.slice(first.length + 1);
  } else if (rest.startsWith('docker.io/')) path = rest.slice('docker.io/'.length);
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const name = `${domain}/${path}`;
  const familiarName = domain === 'docker.io' ? path.replace(/^library\//, '') : name;
  return {
    domain,
    path,
    tag: tag ?? (digest ? undefined : 'latest'),
    digest,
    name,
    familiarName,
    /** containerd's reference (distribution.ParseDockerRef: a tag beside a digest is dropped). */
    full: digest ? `${name}@${digest}` : `${name}:${tag ?? 'latest'}`,
  };
}

/** Docker and containerd both allow plain HTTP to a registry on localhost or 127.0.0.0/8 without configuration. */
export function isLoopbackHost(domain) {
  const host = domain.replace(/:\d+$/, '');
  return host === 'localhost' || /^127\./.test(host) || host === '[::1]';
}

/** The registry a host name reaches: by its key, or one of its `aliases` (the names a cluster's nodes use). */
export function registryFor(state, domain) {
  const registries = state.docker.registries ?? {};
  if (registries[domain]) return { host: domain, registry: registries[domain] };
  const host = Object.keys(registries).find((h) => (registries[h].aliases ?? []).includes(domain));
  return host ? { host, registry: registries[host] } : undefined;
}

/** A registry as `docker push` finds it the first time: up, no auth, empty. */
export function newRegistry() {
  return { repositories: {} };
}

/** The address a dial error names: `address` if the scenario set one, else a documentation IP (RFC 5737), loopback for localhost. */
function dialAddress(domain, registry) {
  if (registry.address) return registry.address;
  const port = /:(\d+)$/.exec(domain)?.[1] ?? '443';
  const host = domain.replace(/:\d+$/, '');
  if (host === 'localhost') return `127.0.0.1:${port}`;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return `${host}:${port}`;
  return `192.0.2.10:${port}`;
}

/**
 * Why the registry cannot be reached, as Go's net/http client words it after `<Method> "<url>"`,
 * or undefined when it answers. `insecure`: the client may use plain HTTP (the docker daemon for
 * a registry in its insecure-registries, and for loopback ones): HTTPS is tried first, and the
 * error reported is the HTTP attempt's (recorded: push-refused.*: `Get "http://…/v2/": dial tcp …`).
 */
export function transportError(domain, registry, method, path, { insecure = false } = {}) {
  const status = registry.status ?? 'up';
  const scheme = insecure ? 'http' : 'https';
  const url = `${method} "${scheme}://${domain}${path}"`;
  if (status === 'refused') return `${url}: dial tcp ${dialAddress(domain, registry)}: connect: connection refused`;
  if (status === 'no-such-host') return `${url}: dial tcp: lookup ${domain.replace(/:\d+$/, '')} on 127.0.0.53:53: no such host`;
  if (status === 'http' && !insecure) return `${method} "https://${domain}${path}": http: server gave HTTP response to HTTPS client`;
  return undefined;
}

/** Whether the user's docker daemon may talk plain HTTP to this registry (insecure-registries, or loopback). */
export function dockerInsecure(domain, registry) {
  return Boolean(registry.insecure) || isLoopbackHost(domain);
}

/** The digest `docker push` reports for an image: derived from its id, so the same image always gets the same digest. */
export function pushDigest(imageId) {
  return `sha256:${imageId.slice(7).split('').reverse().join('')}`;
}

/** The manifest's size in bytes (what `docker push` prints after `size:`). */
export function manifestSize(imageId) {
  return 1000 + (parseInt(imageId.slice(7, 10), 16) % 1500);
}

/** os/arch[/variant] → { os, architecture, variant? }. */
export function splitPlatform(text) {
  const [os = 'linux', architecture = 'amd64', variant] = (text ?? 'linux/amd64').split('/');
  return { os, architecture, ...(variant && { variant }) };
}

/** containerd's platform matcher, reduced to os and architecture (the variant only when both give one). */
export function platformMatches(image, node) {
  const a = splitPlatform(image);
  const b = splitPlatform(node);
  if (a.os !== b.os || a.architecture !== b.architecture) return false;
  return !a.variant || !b.variant || a.variant === b.variant;
}

/** The nodes of a cluster: `nodes` as set, else one per minikube node, else one; each os/arch defaulted to linux/amd64. */
export function nodesOf(state, cluster) {
  let nodes = cluster.nodes;
  if (!nodes) {
    const profileName = cluster.minikubeProfile;
    const count = profileName ? (state.minikube.profiles[profileName]?.nodes ?? 1) : 1;
    const base = profileName ?? 'node';
    nodes = Array.from({ length: count }, (_, i) => ({ name: i === 0 ? (profileName ?? 'node-1') : `${base}-m0${i + 1}` }));
  }
  return nodes.map((n) => ({ operatingSystem: 'linux', architecture: 'amd64', ...n }));
}

/** The platform the pods of a cluster run on: its first node's. */
export function nodePlatform(state, cluster) {
  const node = nodesOf(state, cluster)[0];
  return `${node.operatingSystem}/${node.architecture}`;
}

/** Whether a pod's imagePullSecrets give credentials for this registry: a dockerconfigjson Secret in its namespace with an entry for the host (or an alias). */
function hasPullCredentials(cluster, ns, pod, host, registry, domain) {
  const names = [host, domain, ...(registry.aliases ?? [])];
  for (const secretName of pod.imagePullSecrets ?? []) {
    const secret = cluster.secrets[`${ns}/${secretName}`];
    if (!secret) continue;
    let auths = {};
    try {
      if (secret.type === 'kubernetes.io/dockerconfigjson') auths = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'] ?? '', 'base64').toString('utf8')).auths ?? {};
      else if (secret.type === 'kubernetes.io/dockercfg') auths = JSON.parse(Buffer.from(secret.data['.dockercfg'] ?? '', 'base64').toString('utf8'));
    } catch {
      continue;
    }
    // The kubelet's keyring matches a key with or without its scheme (credentialprovider/keyring.go).
    const keys = Object.keys(auths).map((k) => k.replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]\/?$/, ''));
    if (keys.some((k) => names.includes(k))) return true;
  }
  return false;
}

/**
 * What a node's containerd makes of pulling `image` for `pod`: { ok: true, imageId, execFormatError? }
 * or { ok: false, message } where message is the CRI error the kubelet puts in the container's
 * waiting.message for ErrImagePull (evalCRIPullErr: err.Error(), kubernetes
 * pkg/kubelet/images/image_manager.go). Undefined when no modelled registry serves the image's host
 * (the caller falls back to `docker.registry`).
 *
 * Texts as recorded from a real node (kubelet 1.34, containerd 1.6.20:
 * test/contract/recorded/cluster-target/pull-*.json), built by CRI's `failed to pull and unpack
 * image %q: %w` (containerd pkg/cri/server/image_pull.go) around the resolver's `failed to resolve
 * reference %q: %w` (remotes/docker/resolver.go): a missing manifest `<ref>: not found`; a registry
 * that refuses the connection `failed to do request: Head "https://…/manifests/<digest>": dial tcp
 * …: connect: connection refused`; a basic-auth registry without credentials `pulling from host
 * <host> failed with status code [manifests <digest>]: 401 Unauthorized`; an index without the
 * node's platform `no match for platform in manifest: not found` (images/image.go Manifest; later
 * containerd adds the digest). NotFound errors keep the gRPC prefix `rpc error: code = NotFound
 * desc = `, the others come without one (as recorded). A token-auth (bearer) registry's text is
 * not recorded: it is the resolver's `pull access denied, repository does not exist or may require
 * authorization: server message: insufficient_scope: authorization failed` (resolver.go, authorizer.go).
 */
export function pullFromRegistry(state, cluster, ns, pod, image) {
  const ref = parseImageRef(image);
  const found = registryFor(state, ref.domain);
  if (!found) return undefined;
  const { host, registry } = found;
  const wrap = (code, inner) => ({ ok: false, message: `${code === 'NotFound' ? 'rpc error: code = NotFound desc = ' : ''}failed to pull and unpack image "${ref.full}": ${inner}` });
  const resolveFailed = (code, inner) => wrap(code, `failed to resolve reference "${ref.full}": ${inner}`);
  const object = ref.digest ?? ref.tag;
  const transport = transportError(ref.domain, registry, 'Head', `/v2/${ref.path}/manifests/${object}`);
  if (transport) return resolveFailed('Unknown', `failed to do request: ${transport}`);
  if (registry.auth && !hasPullCredentials(cluster, ns, pod, host, registry, ref.domain)) {
    if (registry.authScheme === 'bearer') return resolveFailed('Unknown', 'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed');
    return resolveFailed('Unknown', `pulling from host ${ref.domain} failed with status code [manifests ${object}]: 401 Unauthorized`);
  }
  const repo = registry.repositories?.[ref.path];
  const digest = ref.digest ?? repo?.tags?.[ref.tag];
  const manifest = digest ? repo?.manifests?.[digest] : undefined;
  if (!manifest) return resolveFailed('NotFound', `${ref.full}: not found`);
  const platform = nodePlatform(state, cluster);
  if (manifest.platforms && !manifest.platforms.some((p) => platformMatches(p, platform))) {
    return wrap('NotFound', 'no match for platform in manifest: not found');
  }
  // A single-platform manifest is pulled whatever its platform (images.Manifest does not check a
  // non-index manifest's config); the container then fails to exec.
  const execFormatError = Boolean(manifest.platform) && !manifest.platforms && !platformMatches(manifest.platform, platform);
  return { ok: true, imageId: manifest.imageId ?? digest, digest, repoDigest: `${ref.name}@${digest}`, execFormatError };
}

/**
 * A pull from a registry host that no scenario set up (neither a registry nor an alias): the
 * node's resolver does not know the name. containerd's wrapping as for a refused connection; the
 * lookup error is Go's (not recorded).
 */
export function unknownHostPull(ref) {
  const transport = transportError(ref.domain, { status: 'no-such-host' }, 'Head', `/v2/${ref.path}/manifests/${ref.digest ?? ref.tag}`);
  return { ok: false, message: `failed to pull and unpack image "${ref.full}": failed to resolve reference "${ref.full}": failed to do request: ${transport}` };
}

/** Whether `image` (normalised, digest stripped) is in the flat `docker.registry` map. */
export function inFlatRegistry(state, image) {
  const ref = parseImageRef(image);
  return normalizeRef(`${ref.familiarName}:${ref.tag ?? 'latest'}`) in state.docker.registry;
}
