// A real Kubernetes control plane for the cluster tier: etcd, kube-apiserver (Pod Security
// admission on), kube-controller-manager and kube-scheduler, built by build.sh, inside a network
// namespace of the tier's own (namespaces.ts): the host reaches the API server at the node's
// address. With `node`, node.ts adds a kubelet, containerd, kube-proxy and CoreDNS; without,
// pods are created, admitted and found unschedulable, never run. Every process is stopped by its
// pid (SIGTERM, then SIGKILL after a grace period), the namespaces and the temp dir removed —
// also when a test fails, and on SIGINT/SIGTERM.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNamespaces, nodeIp, type Namespaces } from './namespaces.js';
import { startNode, type NodeOptions } from './node.js';
import { onExit } from '../engine/daemon.js';

export const clusterContext = 'minikube';
/** Service IPs: kube-proxy's rules for them live in the node's namespace only. */
export const serviceRange = '10.213.0.0/24';
const firstServiceIp = '10.213.0.1';
const graceMs = 10_000;
const apiPort = 6443;

export interface ControlPlane {
  /** A kubeconfig whose one context, `minikube`, is a system:masters admin. */
  kubeconfig: string;
  server: string;
  dir: string;
  /** kube-apiserver's own report of its version (`/version`). */
  version: string;
  /** The node's namespaces, to start more inside them (the node's database). */
  ns: Namespaces;
  stop(): Promise<void>;
}

export interface Started {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA, the apiserver's serving cert, one client cert per identity, and the service-account key. */
function makeCerts(dir: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=todo-deploy-test-ca');
  const sign = (name: string, subj: string, ext: string) => {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  const client = 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';
  sign('apiserver', '/CN=kube-apiserver', `keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:${nodeIp},IP:${firstServiceIp},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n`);
  sign('admin', '/O=system:masters/CN=todo-deploy-admin', client);
  sign('controller-manager', '/CN=system:kube-controller-manager', client);
  sign('scheduler', '/CN=system:kube-scheduler', client);
  // The node's identities: the Node authorizer reads the kubelet's from its CN and O.
  sign('kubelet', '/O=system:nodes/CN=system:node:minikube', client);
  sign('kube-proxy', '/CN=system:kube-proxy', client);
  openssl(dir, 'genrsa', '-out', 'sa.key', '2048');
}

export function kubeconfig(dir: string, server: string, user: string, context: string): string {
  const b64 = (file: string) => readFileSync(join(dir, file)).toString('base64');
  const path = join(dir, `${user}.kubeconfig`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${context}`,
      `  cluster: {server: "${server}", certificate-authority-data: ${b64('ca.crt')}}`,
      'users:',
      `- name: ${user}`,
      `  user: {client-certificate-data: ${b64(`${user}.crt`)}, client-key-data: ${b64(`${user}.key`)}}`,
      'contexts:',
      `- name: ${context}`,
      `  context: {cluster: ${context}, user: ${user}, namespace: default}`,
      `current-context: ${context}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return path;
}

/** GET a path of the API server as the admin; resolves with the status and body. */
export function apiGet(dir: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: nodeIp,
        port: apiPort,
        path,
        ca: readFileSync(join(dir, 'ca.crt')),
        cert: readFileSync(join(dir, 'admin.crt')),
        key: readFileSync(join(dir, 'admin.key')),
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/**
 * Resolves once `check` is true; rejects as soon as any of the processes exits (with its log's
 * tail), or after timeoutMs. The check is retried every 200 ms: the API server has no push
 * notification of readiness, but a process exiting is an event and ends the wait at once.
 */
export async function until(what: string, check: () => Promise<boolean>, started: Started[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: Started | undefined;
  for (const s of started) void s.exited.then(() => (exited ??= s));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${exited.name} exited while waiting for ${what}:\n${logTail(exited.log)}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${started.map((s) => `${s.name}:\n${logTail(s.log)}`).join('\n')}`);
}

const logTail = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Starts `bin` inside the node's namespaces (nsenter execs it: the child's pid is the daemon's). */
export function launch(ns: Namespaces, dir: string, name: string, bin: string, args: string[]): Started {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const [command, argv] = ns.enter(bin, args, { cwd: dir });
  const child = spawn(command, argv, { cwd: dir, stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return { name, child, log, exited };
}

async function stopOne(s: Started): Promise<void> {
  const pid = s.child.pid;
  if (pid === undefined || s.child.exitCode !== null || s.child.signalCode !== null) return;
  process.kill(pid, 'SIGTERM');
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs).unref());
  if ((await Promise.race([s.exited, timer])) === 'late') {
    process.kill(pid, 'SIGKILL');
    await s.exited;
  }
}

/** Starts the control plane from the binaries in `bin` (and a node, when given); on any failure, stops what it started. */
export async function startControlPlane(bin: string, node?: NodeOptions): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'todo-deploy-cluster-'));
  const started: Started[] = [];
  let stopping: Promise<void> | undefined;
  let ns: Namespaces | undefined;

  // Last resort when the test runner exits or is interrupted (SIGINT, SIGTERM, SIGHUP): the
  // children die with it, synchronously — in one registry with the tier's other daemons
  // (engine/daemon.ts), stopped in the reverse order of their start.
  const guard = onExit(() => {
    for (const s of started) if (s.child.pid !== undefined && s.child.exitCode === null && s.child.signalCode === null) process.kill(s.child.pid, 'SIGKILL');
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const stop = () =>
    (stopping ??= (async () => {
      // The reverse of the start order: nothing is left talking to a stopped etcd.
      for (const s of [...started].reverse()) await stopOne(s);
      // The pods' processes and containerd's shims, which outlive the daemons, go with the namespaces.
      ns?.remove();
      rmSync(dir, { recursive: true, force: true });
      guard.release();
    })());

  try {
    makeCerts(dir);
    ns = createNamespaces(dir);
    const server = `https://${nodeIp}:${apiPort}`;
    // The namespace's own loopback for the API server; the node's address for the readiness check from here.
    const etcdUrl = 'http://127.0.0.1:2379';
    const etcdCheckUrl = `http://${nodeIp}:2379`;
    const peerUrl = 'http://127.0.0.1:2380';
    const inNs = (name: string, binary: string, args: string[]) => launch(ns!, dir, name, binary, args);
    started.push(
      inNs('etcd', join(bin, 'etcd'), [
        '--name=default', `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl},${etcdCheckUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
        // A throwaway store: durability buys nothing and fsync costs seconds on a shared disk.
        '--unsafe-no-fsync',
        // Lets the API server's watch cache serve consistent reads (k3s#9349).
        '--watch-progress-notify-interval=5s',
        '--log-level=warn',
      ]),
    );
    await until('etcd', async () => (await fetch(`${etcdCheckUrl}/health`)).ok, started, 30_000);

    started.push(
      inNs('kube-apiserver', join(bin, 'kube-apiserver'), [
        // All of the namespace's addresses: its loopback and the node's.
        '--bind-address=0.0.0.0', `--secure-port=${apiPort}`, `--advertise-address=${nodeIp}`,
        `--etcd-servers=${etcdUrl}`,
        `--service-cluster-ip-range=${serviceRange}`,
        '--tls-cert-file=apiserver.crt', '--tls-private-key-file=apiserver.key', '--client-ca-file=ca.crt',
        '--service-account-issuer=https://kubernetes.default.svc', '--service-account-key-file=sa.key', '--service-account-signing-key-file=sa.key',
        '--authorization-mode=Node,RBAC',
        // PodSecurity is on by default; named here so the namespace's labels are surely enforced.
        '--enable-admission-plugins=NodeRestriction,PodSecurity',
        // Privileged containers are allowed by the server, so refusing one is Pod Security's doing.
        '--allow-privileged=true',
        // For `kubectl logs`: the API server's identity at the kubelet.
        '--kubelet-client-certificate=admin.crt', '--kubelet-client-key=admin.key',
        '--kubelet-preferred-address-types=InternalIP',
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        '--profiling=false',
      ]),
    );
    await until('kube-apiserver /readyz', async () => (await apiGet(dir, '/readyz')).status === 200, started, 120_000);

    const admin = kubeconfig(dir, server, 'admin', clusterContext);
    const cm = kubeconfig(dir, server, 'controller-manager', 'default');
    const sched = kubeconfig(dir, server, 'scheduler', 'default');
    started.push(
      inNs('kube-controller-manager', join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${cm}`, `--authentication-kubeconfig=${cm}`, `--authorization-kubeconfig=${cm}`,
        // No serving port: nothing asks it for health or metrics.
        '--secure-port=0',
        '--leader-elect=false',
        '--use-service-account-credentials',
        '--service-account-private-key-file=sa.key', '--root-ca-file=ca.crt',
        '--cluster-signing-cert-file=ca.crt', '--cluster-signing-key-file=ca.key',
        `--service-cluster-ip-range=${serviceRange}`,
      ]),
      inNs('kube-scheduler', join(bin, 'kube-scheduler'), [
        `--kubeconfig=${sched}`, `--authentication-kubeconfig=${sched}`, `--authorization-kubeconfig=${sched}`,
        '--secure-port=0', '--leader-elect=false',
      ]),
    );
    // The controller manager is working once the ServiceAccount controller has made `default`.
    await until('the default ServiceAccount', async () => (await apiGet(dir, '/api/v1/namespaces/default/serviceaccounts/default')).status === 200, started, 60_000);

    if (node) await startNode({ ...node, bin, dir, ns, server, started });
    const version = (JSON.parse((await apiGet(dir, '/version')).body) as { gitVersion: string }).gitVersion;
    return { kubeconfig: admin, server, dir, version, ns, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
