// The engine tier's `docker` for `up` (test/engine/up-builds.test.ts): put in the simulated
// toolchain's bin/ in place of the simulated docker, it runs the REAL docker client against the
// tier's own daemon and logs the call in the sim's call log like the simulated tools do, so the
// product's argv and environment are what the tests check.
//
// What it changes, and only that:
// - `build` gets `--network host` after the command word: the tier's daemon has no bridge, and a
//   RUN step on the default network fails. `up` never passes it, and must not for real users.
// - A call with no DOCKER_HOST goes to the tier's daemon too (this machine's "local" daemon is
//   that one). Any other DOCKER_HOST, and -H/--host/--context, is refused (exit 97, logged
//   `unexpected`), so nothing here can reach another daemon.
// - After a build, the images it tagged are entered in the sim's image store of the profile whose
//   docker-env names this daemon, with their real id and USER, so the simulated cluster's pods
//   find them (the simulated kubelet reads that store).
// While a build runs, its output is also written to <sim>/live/<pid>.log, for tests to wait on.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { dockerHostOf } from '../sim/tools/cluster.mjs';
import { normalizeRef } from '../sim/tools/images.mjs';
import { appendCall, readState, updateState } from '../sim/tools/state.mjs';

const LOGGED_ENV = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'MINIKUBE_ACTIVE_DOCKERD', 'DOCKER_BUILDKIT', 'KUBECONFIG'];
const now = () => performance.timeOrigin + performance.now();

/** 'build', 'version', 'image inspect', 'buildx version' … */
function commandOf(argv) {
  const words = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
    if (!['image', 'buildx', 'builder'].includes(arg)) break;
  }
  return words.join(' ');
}

/** The `--tag`/`-t` values of a build's argv. */
function tagsOf(argv) {
  const tags = [];
  argv.forEach((arg, i) => {
    if (arg === '--tag' || arg === '-t') tags.push(argv[i + 1]);
    else if (arg.startsWith('--tag=')) tags.push(arg.slice('--tag='.length));
  });
  return tags;
}

/** The real image's id, USER, labels and size, or undefined when the daemon has no such tag. */
function inspectReal(docker, env, ref) {
  const r = spawnSync(docker, ['image', 'inspect', '--format', '{{json .}}', ref], { env, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const image = JSON.parse(r.stdout);
  return { id: image.Id, created: image.Created, user: image.Config?.User ?? '', labels: image.Config?.Labels ?? {}, size: image.Size };
}

/** Which of the sim's image stores this daemon is: the profile whose docker-env names it, else the host's. */
function storeOf(simDir, host) {
  const { profiles } = readState(simDir).minikube;
  const profile = Object.keys(profiles).find((p) => dockerHostOf(profiles[p]) === host);
  return profile ? `minikube/${profile}` : 'host';
}

export async function main(simDir, { docker, host: engineHost }) {
  const argv = process.argv.slice(2);
  const start = now();
  const command = commandOf(argv);
  const host = process.env.DOCKER_HOST ?? engineHost;
  const record = { tool: 'docker', argv, stdin: '', env: {}, envKeys: Object.keys(process.env).sort(), cwd: process.cwd(), start, end: 0, pid: process.pid, command, exitCode: 0, mutating: command === 'build', changed: false, stdout: '', stderr: '' };
  for (const key of LOGGED_ENV) if (process.env[key] !== undefined) record.env[key] = process.env[key];
  const finish = (exitCode, extra = {}) => {
    appendCall(simDir, { ...record, ...extra, end: now(), exitCode });
    process.exitCode = exitCode;
  };
  // -H/--host/--context would choose another daemon than DOCKER_HOST: up never passes them.
  const elsewhere = argv.find((a) => /^(-H|--host|-c|--context)(=|$)/.test(a));
  if (host !== engineHost || elsewhere) {
    const stderr = `todo-deploy engine tier: unexpected call: docker ${argv.join(' ')} (${elsewhere ?? `DOCKER_HOST=${host}`}: only the tier's daemon ${engineHost} is reachable)\n`;
    process.stderr.write(stderr);
    finish(97, { stderr, unexpected: true });
    return;
  }
  const env = { ...process.env, DOCKER_HOST: host };
  const realArgv = command === 'build' ? ['build', '--network', 'host', ...argv.slice(1)] : argv;
  const tags = command === 'build' ? tagsOf(argv) : [];
  const before = Object.fromEntries(tags.map((t) => [t, inspectReal(docker, env, t)?.id]));

  let live;
  if (command === 'build') {
    mkdirSync(join(simDir, 'live'), { recursive: true });
    live = join(simDir, 'live', `${process.pid}.log`);
    writeFileSync(live, `${JSON.stringify(argv)}\n`);
  }
  const child = spawn(docker, realArgv, { env, stdio: ['inherit', 'pipe', 'pipe'] });
  let interrupted;
  // Ctrl-C or a timeout's kill reaches the real client, which cancels the build in the daemon.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      interrupted ??= signal;
      child.kill(signal);
    });
  }
  const out = [];
  const err = [];
  child.stdout.on('data', (d) => {
    out.push(d);
    process.stdout.write(d);
  });
  child.stderr.on('data', (d) => {
    err.push(d);
    process.stderr.write(d);
    if (live) appendFileSync(live, d);
  });
  const { code, signal } = await new Promise((resolve) => {
    child.on('error', (error) => resolve({ code: 127, error }));
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  let exitCode = code ?? 128;
  if (signal) exitCode = signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 137;
  // Logged as the simulated tools log an interrupted call.
  if (interrupted && exitCode !== 0) exitCode = interrupted === 'SIGINT' ? 130 : 143;
  let changed = false;
  if (command === 'build' && exitCode === 0) {
    const store = storeOf(simDir, host);
    const built = tags.map((t) => [t, inspectReal(docker, env, t)]);
    updateState(simDir, (s) => {
      const images = (s.docker.images[store] ??= {});
      for (const [tag, image] of built) {
        if (!image) continue;
        if (before[tag] !== image.id) changed = true;
        images[normalizeRef(tag)] = { ...image, buildArgs: {}, secretIds: [], dockerfile: '', context: argv.at(-1) };
      }
    });
  }
  finish(exitCode, { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), changed, real: { argv: realArgv, pid: child.pid ?? 0, exitCode: code, signal } });
}
