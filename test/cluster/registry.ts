// OCI registries for the cluster target's tests: distribution's `registry` (build.sh builds it
// from the Go module proxy), inside the node's network namespace, listening on the node's address
// over plain HTTP, its storage in a folder of its own. The host reaches it at nodeIp:<port> (the
// tier's Docker Engine pushes there: startDaemon's insecureRegistries), the node's containerd
// pulls from it at the same address (a hosts.toml under node.ts's registryHostsDir, which makes
// that host plain HTTP). Nothing else reaches it: the namespace has no route out.
//
// With `auth`, the registry asks for Basic credentials (htpasswd, bcrypt): the password is
// random, made here and handed to htpasswd on stdin, never in an argv.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onExit, stopPid } from '../engine/daemon.js';
import { nodeIp, type Namespaces } from './namespaces.js';
import { registryHostsDir } from './node.js';

export const registryVersion = 'v3.1.2';
/** The tier's registries: plain, and with Basic authentication. */
export const registryPort = 5000;
export const authRegistryPort = 5001;
export const registryHost = `${nodeIp}:${registryPort}`;
export const authRegistryHost = `${nodeIp}:${authRegistryPort}`;
/** Where nothing listens: an insecure registry of the tier's Docker Engine too, so a push there is refused, not asked over https. */
export const refusedRegistryHost = `${nodeIp}:5009`;

export interface Registry {
  /** `host:port`, the image references' registry part, e.g. 10.213.1.2:5000. */
  host: string;
  /** For `auth`: a user the registry accepts (the password is random, per start). */
  credentials?: { username: string; password: string };
  pid: number;
  /** Storage, config and log. */
  dir: string;
  log: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** The build's bin folder (build.sh's last line). */
  bin: string;
  ns: Namespaces;
  /** The node's folder (the control plane's `dir`): containerd's hosts.toml go under it, and the registry's own folder. */
  nodeDir: string;
  port: number;
  auth?: boolean;
  /**
   * Whether the node's containerd may pull from it (a hosts.toml naming it plain HTTP). Without,
   * containerd would ask https:// and fail: for a test of that case.
   */
  containerd?: boolean;
}

/** containerd's hosts.toml for a plain-HTTP registry (config_path; docs/hosts.md). */
export const hostsToml = (host: string) => `server = "http://${host}"

[host."http://${host}"]
  capabilities = ["pull", "resolve"]
`;

function config(dir: string, host: string, htpasswd?: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    // The upload state is signed with it; fixed here, or the registry warns and makes one.
    `  secret: ${randomBytes(16).toString('hex')}`,
    ...(htpasswd ? ['auth:', '  htpasswd:', '    realm: todo-deploy-test', `    path: ${htpasswd}`] : []),
    '',
  ].join('\n');
}

async function answers(host: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) });
    return res.status;
  } catch {
    return undefined;
  }
}

/** Starts one registry; resolves once it answers on /v2/ (200, or 401 with auth). */
export async function startRegistry(o: RegistryOptions): Promise<Registry> {
  const host = `${nodeIp}:${o.port}`;
  const dir = mkdtempSync(join(o.nodeDir, `registry-${o.port}-`));
  mkdirSync(join(dir, 'storage'));
  let credentials: Registry['credentials'];
  let htpasswd: string | undefined;
  if (o.auth) {
    credentials = { username: 'todo-deploy', password: randomBytes(18).toString('base64url') };
    // -n: print, -i: the password from stdin, -B: bcrypt (the only scheme distribution v3 takes).
    const made = spawnSync('htpasswd', ['-niB', credentials.username], { input: credentials.password, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`htpasswd failed (apache2-utils; test/cluster/install.sh): ${made.stderr}`);
    htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, made.stdout, { mode: 0o600 });
  }
  writeFileSync(join(dir, 'config.yml'), config(dir, host, htpasswd));
  const log = join(dir, 'registry.log');
  const fd = openSync(log, 'a');
  const [command, argv] = o.ns.enter(join(o.bin, `registry-${registryVersion}`), ['serve', join(dir, 'config.yml')], { cwd: dir });
  // OpenTelemetry's exporter would send its traces to localhost:4318 (nothing there): none.
  const child: ChildProcess = spawn(command, argv, { stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OTEL_TRACES_EXPORTER: 'none' } });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the registry did not start');
  let exited = false;
  child.once('exit', () => (exited = true));
  const guard = onExit(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  });
  const hostsFile = join(registryHostsDir(o.nodeDir), host, 'hosts.toml');
  let stopped: Promise<void> | undefined;
  const registry: Registry = {
    host,
    credentials,
    pid,
    dir,
    log,
    stop: () =>
      (stopped ??= (async () => {
        await stopPid(pid, 5_000);
        guard.release();
        rmSync(join(registryHostsDir(o.nodeDir), host), { recursive: true, force: true });
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await answers(host);
    if (status === (o.auth ? 401 : 200)) break;
    if (exited || Date.now() > deadline) {
      const tail = readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
      await registry.stop();
      throw new Error(`registry at ${host} did not answer (${exited ? 'exited' : `last status ${status}`}):\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (o.containerd !== false) {
    mkdirSync(join(registryHostsDir(o.nodeDir), host), { recursive: true });
    writeFileSync(hostsFile, hostsToml(host));
  }
  return registry;
}

/** The `.dockerconfigjson` of a Secret of type kubernetes.io/dockerconfigjson for a registry with credentials. */
export function dockerConfigJson(r: Registry): string {
  if (!r.credentials) throw new Error(`${r.host} asks for no credentials`);
  const { username, password } = r.credentials;
  return JSON.stringify({ auths: { [r.host]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } } });
}
