// Image builds, shared by `docker build` and `minikube image build`: checks the context and
// Dockerfile exist, applies build faults, derives an image id from the inputs (same inputs,
// same id, like a fully cached BuildKit build) and records the tags in one daemon's store.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';

/** docker.io/library/x, docker.io/x and x all name the same image; no tag means :latest. */
export function normalizeRef(ref) {
  let name = ref;
  let tag = 'latest';
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) {
    name = ref.slice(0, colon);
    tag = ref.slice(colon + 1);
  }
  name = name.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '').replace(/^library\//, '');
  return `${name}:${tag}`;
}

const MAX_HASHED_FILE = 1 << 20;

function ignoredBy(patterns, rel) {
  return patterns.some((p) => rel === p || rel.startsWith(`${p}/`) || (p.startsWith('*.') && rel.endsWith(p.slice(1))) || (p.startsWith('**/') && basename(rel) === p.slice(3)));
}

function contextDigest(dir) {
  const hash = createHash('sha256');
  let patterns = [];
  try {
    patterns = readFileSync(join(dir, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/^\.\//, '').replace(/\/$/, ''))
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'));
  } catch {}
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(current, entry.name);
      const rel = relative(dir, full);
      if (ignoredBy(patterns, rel)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const { size } = statSync(full);
        hash.update(`${rel}\0${size}\0`);
        if (size <= MAX_HASHED_FILE) hash.update(readFileSync(full));
      }
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** The USER the final stage runs as ('' = the base image's, assumed root). */
function finalUser(dockerfileText) {
  let user = '';
  for (const line of dockerfileText.split('\n')) {
    const l = line.trim();
    if (/^FROM\s/i.test(l)) user = '';
    const match = /^USER\s+(\S+)/i.exec(l);
    if (match) user = match[1];
  }
  return user;
}

/**
 * Runs a build. `inputs`: { cwd, context, dockerfile?, tags, buildArgs, labels, secretIds, target?, platform?, legacy? }
 * (`legacy`: { deprecated } when docker's legacy builder runs it, not BuildKit).
 * Returns { id, stderr } (BuildKit's progress) or fails the call. `daemon` is the store to record into.
 */
export function buildImage(call, state, daemon, inputs) {
  const contextDir = resolve(inputs.cwd, inputs.context);
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) {
    call.fail(1, `ERROR: unable to prepare context: path "${inputs.context}" not found`);
  }
  const dockerfile = inputs.dockerfile ? resolve(inputs.cwd, inputs.dockerfile) : join(contextDir, 'Dockerfile');
  if (!existsSync(dockerfile)) {
    call.fail(1, `ERROR: failed to solve: failed to read dockerfile: open ${basename(dockerfile)}: no such file or directory`);
  }
  const fault = call.takeFault('builds', (f) => inputs.tags.some((t) => t.includes(f.match)) || contextDir.includes(f.match));
  const progress = [
    `#0 building with "default" instance using docker driver`,
    '',
    `#1 [internal] load build definition from ${basename(dockerfile)}`,
    `#1 transferring dockerfile: ${statSync(dockerfile).size}B done`,
    '#1 DONE 0.0s',
  ];
  if (fault && inputs.legacy) {
    // The legacy builder: the step's output on stdout, one line on stderr (build-fails-legacy.docker-20.10.json).
    const log = fault.log ?? ['npm error code ELIFECYCLE', 'npm error command failed'];
    const code = fault.exitCode ?? 1;
    call.out(['Step 5/9 : RUN npm run build', ' ---> Running in 3f2a1b4c5d6e', ...log, ''].join('\n'));
    call.fail(code, `${inputs.legacy.deprecated}The command '/bin/sh -c npm run build' returned a non-zero code: ${code}`);
  }
  if (fault) {
    const log = fault.log ?? ['npm error code ELIFECYCLE', 'npm error command failed'];
    const code = fault.exitCode ?? 1;
    call.fail(
      1,
      [
        ...progress,
        '',
        '#9 [builder 5/6] RUN npm run build',
        ...log.map((l) => `#9 0.512 ${l}`),
        '#9 ERROR: process "/bin/sh -c npm run build" did not complete successfully: exit code: ' + code,
        // buildx 0.24 (docker 28.2's) repeats the step's last log lines in a box, then one ERROR
        // line (test/contract/recorded/docker/build-fails.docker-28-buildx.json).
        '------',
        ' > [builder 5/6] RUN npm run build:',
        ...log.slice(-10).map((l) => `0.512 ${l}`),
        '------',
        `ERROR: failed to solve: process "/bin/sh -c npm run build" did not complete successfully: exit code: ${code}`,
      ].join('\n'),
    );
  }
  const dockerfileText = readFileSync(dockerfile, 'utf8');
  const hash = createHash('sha256');
  hash.update(dockerfileText);
  hash.update(contextDigest(contextDir));
  hash.update(JSON.stringify([inputs.buildArgs, inputs.labels, inputs.target ?? '', inputs.platform ?? '']));
  const id = `sha256:${hash.digest('hex')}`;
  const created = new Date().toISOString();
  call.update((s) => {
    const store = (s.docker.images[daemon] ??= {});
    for (const tag of inputs.tags.map(normalizeRef)) {
      if (store[tag]?.id === id) continue;
      store[tag] = {
        id,
        created,
        labels: inputs.labels,
        buildArgs: inputs.buildArgs,
        secretIds: inputs.secretIds,
        dockerfile,
        context: contextDir,
        user: finalUser(dockerfileText),
        platform: inputs.recordedPlatform ?? inputs.platform ?? 'linux/amd64',
        size: 50_000_000 + (parseInt(id.slice(7, 13), 16) % 100_000_000),
      };
      call.changed = true;
    }
  });
  const names = inputs.tags.map((t) => `docker.io/${normalizeRef(t).includes('/') ? '' : 'library/'}${normalizeRef(t)}`);
  return {
    id,
    stderr: [...progress, '', '#8 exporting to image', '#8 exporting layers done', `#8 writing image ${id} done`, ...names.map((n) => `#8 naming to ${n} done`), '#8 DONE 0.1s', ''].join('\n'),
  };
}
