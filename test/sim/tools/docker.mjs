// The docker CLI (client 28.x, BuildKit). The daemon a call talks to is chosen like the real
// client does: -H, else DOCKER_HOST, else the local socket. The local daemon is `host`; the
// DOCKER_HOST that `minikube docker-env` prints selects that profile's daemon, which also needs
// the TLS variables it printed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { certsDir, dockerHostOf, dockerTlsOf } from './cluster.mjs';
import { goJson, renderTemplate, TemplateUnsupported } from './go-template.mjs';
import { buildImage, normalizeRef } from './images.mjs';
import { dockerInsecure, manifestSize, newRegistry, parseImageRef, pushDigest, registryFor, splitPlatform, transportError } from './registry.mjs';

const LOCAL_SOCKET = 'unix:///var/run/docker.sock';

export const globals = {
  'H|host': 'value',
  'D|debug': 'bool',
  'l|log-level': 'value',
  config: 'value',
  tlsverify: 'bool',
};

function cannotConnect(call, host) {
  call.fail(1, `Cannot connect to the Docker daemon at ${host}. Is the docker daemon running?`);
}

/** Which daemon this call reaches: 'host' or 'minikube/<profile>', or the call fails as the client would. */
export function selectDaemon(call, args, state) {
  const host = args.flags.host ?? call.env.DOCKER_HOST ?? LOCAL_SOCKET;
  if (host === LOCAL_SOCKET) {
    if (state.docker.daemon !== 'up') cannotConnect(call, host);
    return 'host';
  }
  const profile = Object.keys(state.minikube.profiles).find((p) => dockerHostOf(state.minikube.profiles[p]) === host);
  const p = profile && state.minikube.profiles[profile];
  if (!p || p.status !== 'Running' || p.containerRuntime !== 'docker') cannotConnect(call, host);
  if (!dockerTlsOf(p)) return `minikube/${profile}`;
  // Minikube's dockerd listens with TLS only (docker-env prints DOCKER_TLS_VERIFY=1 and the certs).
  if (!call.env.DOCKER_TLS_VERIFY && !args.flags.tlsverify) {
    call.fail(1, 'Error response from daemon: Client sent an HTTP request to an HTTPS server.');
  }
  const certPath = call.env.DOCKER_CERT_PATH ?? join(call.env.HOME ?? '', '.docker');
  if (certPath !== certsDir(state)) {
    call.fail(1, `could not read CA certificate "${join(certPath, 'ca.pem')}": open ${join(certPath, 'ca.pem')}: no such file or directory`);
  }
  return `minikube/${profile}`;
}

function clientInfo(state) {
  const t = state.tools.docker;
  return {
    Version: t.clientVersion,
    ApiVersion: t.apiVersion,
    DefaultAPIVersion: t.apiVersion,
    GitCommit: 'e6534b4',
    GoVersion: 'go1.24.3',
    Os: 'linux',
    Arch: 'amd64',
    BuildTime: 'Fri May 30 12:07:14 2025',
    Context: 'default',
  };
}

function serverInfo(state) {
  const t = state.tools.docker;
  return {
    Platform: { Name: 'Docker Engine - Community' },
    Components: [{ Name: 'Engine', Version: t.serverVersion, Details: { ApiVersion: t.apiVersion, Arch: 'amd64', Os: 'linux' } }],
    Version: t.serverVersion,
    ApiVersion: t.apiVersion,
    MinAPIVersion: '1.24',
    GitCommit: '45873be',
    GoVersion: 'go1.24.3',
    Os: 'linux',
    Arch: 'amd64',
    KernelVersion: '6.8.0-60-generic',
    BuildTime: '2025-05-30T12:07:14.000000000+00:00',
  };
}

function render(call, template, data) {
  try {
    return renderTemplate(template, data);
  } catch (error) {
    if (error instanceof TemplateUnsupported) call.unexpected(error.message);
    throw error;
  }
}

function tryDaemon(call, args, state) {
  try {
    return { daemon: selectDaemon(call, args, state) };
  } catch (error) {
    return { error };
  }
}

function inspectObject(store, ref) {
  const image = store[ref];
  const same = Object.keys(store).filter((r) => store[r].id === image.id);
  const platform = splitPlatform(image.platform);
  return {
    Id: image.id,
    RepoTags: same,
    // Per image, not per tag: every repository@digest it was pushed as (or pulled by).
    RepoDigests: [...new Set(same.flatMap((r) => store[r].repoDigests ?? []))],
    Parent: '',
    Comment: 'buildkit.dockerfile.v0',
    Created: image.created,
    DockerVersion: '',
    Author: '',
    Config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: null, WorkingDir: '/app', Labels: image.labels },
    Architecture: platform.architecture,
    ...(platform.variant && { Variant: platform.variant }),
    Os: platform.os,
    Size: image.size,
    Metadata: { LastTagTime: image.created },
  };
}

function humanSize(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)}GB` : `${Math.round(bytes / 1e6)}MB`;
}

function goTime(iso) {
  return `${iso.replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '')} +0000 UTC`;
}

function globMatch(pattern, text) {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
  return re.test(text);
}

function listRows(store, filters) {
  const rows = [];
  for (const [ref, image] of Object.entries(store).sort(([, a], [, b]) => b.created.localeCompare(a.created))) {
    const colon = ref.lastIndexOf(':');
    const repo = ref.slice(0, colon);
    const tag = ref.slice(colon + 1);
    const keep = filters.every((f) => {
      const [key, ...rest] = f.split('=');
      const value = rest.join('=');
      if (key === 'reference') return globMatch(value, ref) || globMatch(value, repo);
      if (key === 'label') {
        const [k, ...v] = value.split('=');
        return v.length === 0 ? k in image.labels : image.labels[k] === v.join('=');
      }
      if (key === 'dangling') return value === 'false';
      return true;
    });
    if (!keep) continue;
    const minutes = Math.max(1, Math.round((Date.now() - Date.parse(image.created)) / 60_000));
    rows.push({
      Containers: 'N/A',
      CreatedAt: goTime(image.created),
      CreatedSince: `${minutes} minute${minutes === 1 ? '' : 's'} ago`,
      Digest: '<none>',
      ID: image.id.slice(7, 19),
      Repository: repo,
      SharedSize: 'N/A',
      Size: humanSize(image.size),
      Tag: tag,
      UniqueSize: 'N/A',
      VirtualSize: humanSize(image.size),
    });
  }
  return rows;
}

function clientMajor(state) {
  return Number(state.tools.docker.clientVersion.split('.')[0]);
}

/** Whether `docker buildx` exists: a plugin of 23+ clients, unless the scenario removed it (tools.docker.buildx: false). */
function hasBuildx(state) {
  return clientMajor(state) >= 23 && state.tools.docker.buildx !== false;
}

function noBuildx(call, state) {
  if (clientMajor(state) >= 23) call.fail(1, "docker: unknown command: docker buildx\n\nRun 'docker --help' for more information");
  call.fail(1, "docker: 'buildx' is not a docker command.\nSee 'docker --help'");
}

/**
 * The builder `docker build` uses, as recorded (test/contract/recorded/docker/build-*): a client
 * before 23 uses BuildKit only with DOCKER_BUILDKIT=1; a later one uses it through the buildx
 * plugin, falls back to the legacy builder without the plugin, and refuses with DOCKER_BUILDKIT=1.
 */
function builderOf(call, state) {
  const flag = call.env.DOCKER_BUILDKIT;
  const on = flag === '1' || flag === 'true';
  if (clientMajor(state) < 23) return on ? 'buildkit' : 'legacy';
  if (flag === '0' || flag === 'false') return 'legacy';
  if (hasBuildx(state)) return 'buildkit';
  if (on) call.fail(1, 'ERROR: BuildKit is enabled but the buildx component is missing or broken.\n       Install the buildx component to build images with BuildKit:\n       https://docs.docker.com/go/buildx/');
  return 'legacy';
}

const LEGACY_DEPRECATED = 'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/\n\n';

const build = {
  flags: {
    't|tag': 'list',
    'f|file': 'value',
    'build-arg': 'list',
    label: 'list',
    iidfile: 'value',
    target: 'value',
    platform: 'value',
    progress: 'value',
    pull: 'bool',
    'no-cache': 'bool',
    'q|quiet': 'bool',
    load: 'bool',
    'metadata-file': 'value',
    secret: 'list',
    network: 'value',
    'cache-from': 'list',
    provenance: 'value',
  },
  mutating: true,
  run(call, args, state) {
    if (args.positionals.length !== 1) call.fail(1, 'ERROR: docker buildx build requires 1 argument');
    if (args.positionals[0] === '-') call.unexpected('build context from stdin is not simulated');
    if (args.flags.platform?.includes(',')) call.unexpected('multi-platform builds are not simulated (the docker driver cannot load a manifest list)');
    const builder = builderOf(call, state);
    const daemon = selectDaemon(call, args, state);
    if (builder === 'legacy') {
      // The legacy builder sends the context, then refuses BuildKit-only syntax.
      const deprecated = clientMajor(state) >= 23 ? LEGACY_DEPRECATED : '';
      const dockerfile = args.flags.file ? resolve(call.cwd, args.flags.file) : join(resolve(call.cwd, args.positionals[0]), 'Dockerfile');
      if (existsSync(dockerfile) && /^\s*RUN\s+--mount/im.test(readFileSync(dockerfile, 'utf8'))) {
        call.out('Sending build context to Docker daemon  2.048kB\r\r\n');
        call.fail(1, `${deprecated}the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
      }
      call.out('Sending build context to Docker daemon  2.048kB\r\r\n');
    }
    const pairs = (list) => Object.fromEntries((list ?? []).map((kv) => [kv.split('=')[0], kv.split('=').slice(1).join('=')]));
    const buildArgs = pairs(args.flags['build-arg']);
    // A bare --build-arg NAME takes its value from the client's environment.
    for (const name of args.flags['build-arg'] ?? []) if (!name.includes('=')) buildArgs[name] = call.env[name] ?? '';
    const { id, stderr } = buildImage(call, state, daemon, {
      cwd: call.cwd,
      context: args.positionals[0],
      dockerfile: args.flags.file,
      tags: args.flags.tag ?? [],
      buildArgs,
      labels: pairs(args.flags.label),
      secretIds: (args.flags.secret ?? []).map((s) => /(?:^|,)id=([^,]+)/.exec(s)?.[1] ?? ''),
      target: args.flags.target,
      platform: args.flags.platform,
      // Without --platform, BuildKit builds for the daemon's own platform.
      recordedPlatform: args.flags.platform ?? (daemon === 'host' ? (state.docker.platform ?? 'linux/amd64') : 'linux/amd64'),
      legacy: builder === 'legacy' ? { deprecated: clientMajor(state) >= 23 ? LEGACY_DEPRECATED : '' } : undefined,
    });
    if (args.flags.iidfile) writeFileSync(join(call.cwd, args.flags.iidfile), id);
    if (args.flags.quiet) call.out(`${id}\n`);
    else if (builder === 'legacy') {
      if (clientMajor(state) >= 23) call.err(LEGACY_DEPRECATED);
      call.out(`Successfully built ${id.slice(7, 19)}\n${(args.flags.tag ?? []).map((t) => `Successfully tagged ${normalizeRef(t)}\n`).join('')}`);
    } else call.err(stderr);
  },
};

const inspect = {
  flags: { 'f|format': 'value', type: 'value' },
  run(call, args, state) {
    if (args.positionals.length === 0) call.unexpected('inspect needs at least one image');
    const reached = tryDaemon(call, args, state);
    if (reached.error) {
      // The real client tries each reference and prints the connection error once per reference.
      const line = reached.error.stderr.trimEnd();
      if (args.flags.format) call.out('\n');
      call.fail(1, args.positionals.map(() => line).join('\n'));
    }
    const daemon = reached.daemon;
    const store = state.docker.images[daemon] ?? {};
    const found = [];
    const missing = [];
    for (const ref of args.positionals) {
      const key = normalizeRef(ref);
      const byId = Object.keys(store).find((r) => store[r].id === ref || store[r].id.slice(7).startsWith(ref));
      if (store[key]) found.push(inspectObject(store, key));
      else if (byId) found.push(inspectObject(store, byId));
      else missing.push(ref);
    }
    // With --format and nothing found, the real client (20.10 and 28 alike) still prints one empty line.
    if (args.flags.format && found.length === 0) call.out('\n');
    else if (args.flags.format) for (const obj of found) call.out(`${render(call, args.flags.format, obj)}\n`);
    else call.out(`${JSON.stringify(found, null, 4)}\n`);
    if (missing.length > 0) call.fail(1, missing.map((r) => `Error: No such image: ${r}`).join('\n'));
  },
};

const list = {
  flags: { format: 'value', 'f|filter': 'list', 'q|quiet': 'bool', 'a|all': 'bool', 'no-trunc': 'bool', digests: 'bool' },
  run(call, args, state) {
    const daemon = selectDaemon(call, args, state);
    const filters = [...(args.flags.filter ?? []), ...args.positionals.map((p) => `reference=${p}`)];
    const rows = listRows(state.docker.images[daemon] ?? {}, filters);
    const format = args.flags.format;
    if (args.flags.quiet) for (const row of rows) call.out(`${row.ID}\n`);
    else if (format === 'json' || format === '{{json .}}') for (const row of rows) call.out(`${goJson(row)}\n`);
    else if (format && !format.startsWith('table')) for (const row of rows) call.out(`${render(call, format, row)}\n`);
    else {
      call.out('REPOSITORY   TAG   IMAGE ID   CREATED   SIZE\n');
      for (const r of rows) call.out(`${r.Repository}   ${r.Tag}   ${r.ID}   ${r.CreatedSince}   ${r.Size}\n`);
    }
  },
};

const tag = {
  flags: {},
  mutating: true,
  run(call, args, state) {
    if (args.positionals.length !== 2) call.fail(1, '"docker tag" requires exactly 2 arguments.');
    const daemon = selectDaemon(call, args, state);
    const [source, target] = args.positionals.map(normalizeRef);
    call.update((s) => {
      const store = (s.docker.images[daemon] ??= {});
      if (!store[source]) call.fail(1, `Error response from daemon: No such image: ${args.positionals[0]}`);
      if (store[target]?.id !== store[source].id) call.changed = true;
      store[target] = { ...store[source] };
    });
  },
};

const remove = {
  flags: { 'f|force': 'bool', 'no-prune': 'bool' },
  mutating: true,
  run(call, args, state) {
    const daemon = selectDaemon(call, args, state);
    const missing = call.update((s) => {
      const store = (s.docker.images[daemon] ??= {});
      const gone = [];
      for (const ref of args.positionals) {
        const key = normalizeRef(ref);
        if (!store[key]) {
          gone.push(ref);
          continue;
        }
        delete store[key];
        call.changed = true;
        call.out(`Untagged: ${key}\n`);
      }
      return gone;
    });
    if (missing.length > 0 && !args.flags.force) call.fail(1, missing.map((r) => `Error response from daemon: No such image: ${r}`).join('\n'));
  },
};

/**
 * `docker push host/repo:tag` from the daemon the call reaches, to the registry of the host
 * (`docker.registries[host]`; a host not in the state is a reachable registry without auth,
 * created on the first push). Output as recorded from docker 20.10 and 28 clients
 * (test/contract/recorded/cluster-target/push*.json): the repository line, each layer's Preparing
 * then Pushed / Layer already exists, then `<tag>: digest: sha256:… size: N`. Refusals (exit 1,
 * after the repository line): the registry's transport error (`Get "http://host/v2/": dial tcp
 * …: connect: connection refused` for an insecure or loopback registry, https:// otherwise;
 * `Get "https://host/v2/": http: server gave HTTP response to HTTPS client`; `… no such host`,
 * not recorded), or, for a registry with `auth` and no `loggedIn`, after the layers' Preparing:
 * `pushError`, else `no basic auth credentials` (basic, recorded) / `unauthorized: authentication
 * required` (bearer, not recorded). The image gains
 * `host/repo@sha256:…` in its RepoDigests; pushing an image the tag already names changes nothing.
 */
const push = {
  flags: { 'q|quiet': 'bool', 'a|all-tags': 'bool', platform: 'value', 'disable-content-trust': 'bool' },
  mutating: true,
  run(call, args, state) {
    if (args.positionals.length !== 1) call.fail(1, '"docker push" requires exactly 1 argument.');
    if (args.flags['all-tags']) call.unexpected('push --all-tags is not simulated');
    const daemon = selectDaemon(call, args, state);
    const ref = normalizeRef(args.positionals[0]);
    const parsed = parseImageRef(args.positionals[0]);
    if (parsed.digest) call.unexpected('push of a digest reference is not simulated');
    const image = state.docker.images[daemon]?.[ref];
    if (!image) call.fail(1, `An image does not exist locally with the tag: ${args.positionals[0].replace(/:[^/:]*$/, '')}`);
    const repository = parsed.domain === 'docker.io' ? parsed.name : parsed.familiarName;
    const quiet = Boolean(args.flags.quiet);
    if (!quiet) call.out(`The push refers to repository [${repository}]\n`);
    const found = registryFor(state, parsed.domain);
    const registry = found?.registry ?? newRegistry();
    const transport = transportError(parsed.domain, registry, 'Get', '/v2/', { insecure: dockerInsecure(parsed.domain, registry) });
    if (transport) call.fail(1, transport);
    const layers = [0, 1].map((i) => image.id.slice(7 + i * 12, 19 + i * 12));
    if (registry.auth && !registry.loggedIn) {
      if (!quiet) call.out(layers.map((l) => `${l}: Preparing\n`).join(''));
      call.fail(1, registry.pushError ?? (registry.authScheme === 'bearer' ? 'unauthorized: authentication required' : 'no basic auth credentials'));
    }
    const digest = pushDigest(image.id);
    const size = manifestSize(image.id);
    const tag = parsed.tag;
    const existed = call.update((s) => {
      s.docker.registries ??= {};
      const host = found?.host ?? parsed.domain;
      const reg = (s.docker.registries[host] ??= newRegistry());
      reg.repositories ??= {};
      const repo = (reg.repositories[parsed.path] ??= { tags: {}, manifests: {} });
      const had = Boolean(repo.manifests[digest]);
      if (!had) {
        repo.manifests[digest] = { imageId: image.id, platform: image.platform ?? 'linux/amd64', size };
        call.changed = true;
      }
      if (repo.tags[tag] !== digest) {
        repo.tags[tag] = digest;
        call.changed = true;
      }
      // What any cluster pulls by name (the flat map the minikube tier seeds).
      if (s.docker.registry[ref] !== image.id) {
        s.docker.registry[ref] = image.id;
        call.changed = true;
      }
      const repoDigest = `${parsed.familiarName}@${digest}`;
      for (const record of Object.values(s.docker.images[daemon] ?? {})) {
        if (record.id !== image.id) continue;
        record.repoDigests ??= [];
        if (!record.repoDigests.includes(repoDigest)) {
          record.repoDigests.push(repoDigest);
          call.changed = true;
        }
      }
      return had;
    });
    if (quiet) {
      call.out(`${repository}:${tag}\n`);
      return;
    }
    call.out(layers.map((l) => `${l}: Preparing\n`).join(''));
    call.out(layers.map((l) => `${l}: ${existed ? 'Layer already exists' : 'Pushed'}\n`).join(''));
    call.out(`${tag}: digest: ${digest} size: ${size}\n`);
  },
};

export const commands = {
  '': {
    flags: { 'v|version': 'bool' },
    run(call, args, state) {
      if (!args.flags.version) call.unexpected();
      call.out(`Docker version ${state.tools.docker.clientVersion}, build e6534b4\n`);
    },
  },
  version: {
    flags: { 'f|format': 'value' },
    run(call, args, state) {
      const reached = tryDaemon(call, args, state);
      const data = { Client: clientInfo(state), Server: reached.error ? null : serverInfo(state) };
      if (args.flags.format) call.out(`${render(call, args.flags.format, data)}\n`);
      else {
        const c = data.Client;
        call.out(
          `Client:\n Version:           ${c.Version}\n API version:       ${c.ApiVersion}\n Go version:        ${c.GoVersion}\n Git commit:        ${c.GitCommit}\n Built:             ${c.BuildTime}\n OS/Arch:           linux/amd64\n Context:           default\n`,
        );
        if (data.Server) {
          const sv = data.Server;
          call.out(`\nServer: Docker Engine - Community\n Engine:\n  Version:          ${sv.Version}\n  API version:      ${sv.ApiVersion} (minimum version 1.24)\n  Go version:       ${sv.GoVersion}\n  Git commit:       ${sv.GitCommit}\n  OS/Arch:          linux/amd64\n`);
        }
      }
      if (reached.error) throw reached.error;
    },
  },
  info: {
    flags: { 'f|format': 'value' },
    run(call, args, state) {
      if (!args.flags.format) call.unexpected('docker info without --format is not simulated');
      const reached = tryDaemon(call, args, state);
      if (reached.error) {
        call.out('\n');
        throw reached.error;
      }
      const profile = reached.daemon.startsWith('minikube/') ? reached.daemon.slice('minikube/'.length) : undefined;
      const data = {
        ServerVersion: state.tools.docker.serverVersion,
        Name: profile ?? 'devbox',
        OperatingSystem: profile ? 'Buildroot 2025.02' : 'Ubuntu 24.04.2 LTS',
        OSType: 'linux',
        Architecture: 'x86_64',
        NCPU: profile ? state.minikube.profiles[profile].cpus : 8,
        MemTotal: (profile ? state.minikube.profiles[profile].memory : 16384) * 1024 * 1024,
        Driver: 'overlay2',
        Images: Object.keys(state.docker.images[reached.daemon] ?? {}).length,
        Containers: 0,
      };
      call.out(`${render(call, args.flags.format, data)}\n`);
    },
  },
  'buildx version': {
    flags: {},
    run(call, args, state) {
      if (!hasBuildx(state)) noBuildx(call, state);
      call.out('github.com/docker/buildx v0.24.0 d0e5e86c8b88e0d4b8d1a9ce3a6bff7e2a9c4c8e\n');
    },
  },
  build,
  'image build': build,
  'buildx build': {
    ...build,
    run(call, args, state) {
      if (!hasBuildx(state)) noBuildx(call, state);
      build.run(call, args, state);
    },
  },
  'image inspect': inspect,
  'image ls': list,
  'image list': list,
  images: list,
  tag,
  'image tag': tag,
  rmi: remove,
  'image rm': remove,
  push,
  'image push': push,
};
