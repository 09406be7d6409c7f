// A Docker Engine of the tests' own: Debian's dockerd, started with its own socket, data and
// exec folders and no networking of its own (no bridge, no iptables, no masquerading), so
// builds and containers can only use --network host and nothing is left on the host's
// network namespace. Stopped by its pid: on stop(), on the test process's exit, and on
// SIGINT/SIGTERM; a daemon a killed run left behind on the same data root is found by its
// pidfile and stopped before a new one starts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Daemon {
  /** `unix://…/docker.sock` */
  readonly host: string;
  readonly pid: number;
  /** The run folder: socket, exec root, pidfile and dockerd's log. */
  readonly runDir: string;
  readonly dataRoot: string;
  readonly log: string;
  /** Whether the daemon still answers. */
  ping(): Promise<boolean>;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Images, build cache and containers; keep it between runs for warm builds. Default: inside runDir (removed on stop). */
  dataRoot?: string;
  /** How long to wait for the socket to answer. */
  startTimeoutMs?: number;
  /**
   * Registries (`host:port`) the daemon pushes to and pulls from over plain HTTP
   * (`--insecure-registry`): the cluster tier's registries inside the node's namespace.
   */
  insecureRegistries?: string[];
}

/** Daemons this process started and has not stopped, with what stopping them synchronously takes. */
const live = new Map<Daemon, () => void>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // Synchronous, so it also runs on process.exit() and before a signal's default action: stop
  // every daemon still running (and whatever else registered a synchronous cleanup), unmount
  // and remove its run folder. Then die of the same signal, so the caller sees the interruption.
  const stopAll = () => {
    for (const stop of [...live.values()].reverse()) stop();
    live.clear();
  };
  process.on('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAll();
      process.kill(process.pid, signal);
    });
  }
}

/** Waits for a pid to exit, blocking (for exit and signal handlers, where nothing async runs). */
function stopPidSync(pid: number, graceMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!killQuietly(pid, signal)) return;
  spawnSync('sh', ['-c', `i=0; while kill -0 ${pid} 2>/dev/null && [ $i -lt ${Math.ceil(graceMs / 100)} ]; do sleep 0.1; i=$((i+1)); done`]);
  if (alive(pid)) {
    killQuietly(pid, 'SIGKILL');
    spawnSync('sh', ['-c', `i=0; while kill -0 ${pid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done`]);
  }
}

/**
 * Runs `stop` synchronously if this process exits or is signalled before `release()` is called:
 * for the other processes a tier starts (its database).
 */
export function stopOnExit(pid: number, signal: NodeJS.Signals = 'SIGTERM'): { release(): void } {
  return onExit(() => stopPidSync(pid, 10_000, signal));
}

/**
 * Runs `stop` (synchronous) if this process exits or is signalled (SIGINT, SIGTERM, SIGHUP)
 * before `release()`: one registry for everything a tier starts, stopped in the reverse order.
 */
export function onExit(stop: () => void): { release(): void } {
  const token = {} as Daemon;
  live.set(token, stop);
  hookExit();
  return { release: () => void live.delete(token) };
}

function killQuietly(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}

/** Stops a process by pid: `signal`, then SIGKILL after `graceMs`. */
export async function stopPid(pid: number, graceMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!killQuietly(pid, signal)) return;
  if (await waitFor(() => !alive(pid), graceMs)) return;
  killQuietly(pid, 'SIGKILL');
  await waitFor(() => !alive(pid), 5_000);
}

const MARKER = 'todo-deploy-dockerd.pid';

/** The daemon (and run folder) an earlier, killed run left on this data root. */
export async function stopLeftover(dataRoot: string): Promise<void> {
  const marker = join(dataRoot, MARKER);
  if (!existsSync(marker)) return;
  const [pidText = '', runDir = ''] = readFileSync(marker, 'utf8').trim().split(' ');
  const pid = Number(pidText);
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {}
  if (pid > 0 && cmdline.startsWith('dockerd\0') && cmdline.includes(dataRoot)) await stopPid(pid);
  if (runDir.startsWith(`${tmpdir()}/tde-`)) {
    unmountUnder(runDir);
    rmSync(runDir, { recursive: true, force: true });
  }
  rmSync(marker, { force: true });
}

/** Unmounts whatever is mounted below `dir`, deepest first. */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) spawnSync('umount', ['--lazy', point]);
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  // Short: the socket path (and containerd's under the exec root) must fit in 108 bytes.
  const runDir = mkdtempSync(join(tmpdir(), 'tde-'));
  // Others may make folders inside it (the tier's database runs as the postgres user).
  chmodSync(runDir, 0o711);
  const dataRoot = options.dataRoot ?? join(runDir, 'data');
  mkdirSync(dataRoot, { recursive: true });
  await stopLeftover(dataRoot);
  const socket = join(runDir, 'docker.sock');
  const log = join(runDir, 'dockerd.log');
  const fd = openSync(log, 'a');
  const child = spawn(
    'dockerd',
    [
      '--host', `unix://${socket}`,
      '--data-root', dataRoot,
      '--exec-root', join(runDir, 'exec'),
      '--pidfile', join(runDir, 'docker.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      ...(options.insecureRegistries ?? []).map((r) => `--insecure-registry=${r}`),
    ],
    { stdio: ['ignore', fd, fd], detached: false },
  );
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error('dockerd did not start (is docker.io installed?)');
  writeFileSync(join(dataRoot, MARKER), `${pid} ${runDir}\n`);
  let exited = false;
  child.on('exit', () => (exited = true));

  const cleanUp = () => {
    rmSync(join(dataRoot, MARKER), { force: true });
    // dockerd leaves its host network namespace (exec/netns/default) bind-mounted.
    unmountUnder(runDir);
    rmSync(runDir, { recursive: true, force: true });
  };
  const daemon: Daemon = {
    host: `unix://${socket}`,
    pid,
    runDir,
    dataRoot,
    log,
    ping: () => ping(socket),
    async stop() {
      if (!live.has(daemon)) return;
      live.delete(daemon);
      await stopPid(pid);
      cleanUp();
    },
  };
  live.set(daemon, () => {
    stopPidSync(pid);
    cleanUp();
  });
  hookExit();
  const up = await waitFor(async () => exited || (existsSync(socket) && (await ping(socket))), options.startTimeoutMs ?? 60_000, 200);
  if (!up || exited) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-15).join('\n') : '';
    await daemon.stop();
    throw new Error(`dockerd did not answer on ${socket}:\n${tail}`);
  }
  return daemon;
}

/**
 * `build --network host …`: this daemon has no bridge, and a BuildKit RUN step on the default
 * network fails with "network bridge not found". The only flag the tier adds to `up`'s argv.
 */
export function withHostNetwork(buildArgs: readonly string[]): string[] {
  const [command, ...rest] = buildArgs;
  if (command !== 'build') throw new Error(`not a build: ${buildArgs.join(' ')}`);
  return [command, '--network', 'host', ...rest];
}
