// The node's isolation: a network namespace of its own, joined to the host by one veth pair, and
// a mount namespace its daemons share.
//
// Network: every daemon of the tier (etcd, the API server, containerd, the kubelet, kube-proxy,
// CoreDNS) runs inside the network namespace, so its iptables rules, the CNI bridge and the pods'
// routes never touch the machine's own network. The host reaches the node at nodeIp (the API
// server, NodePorts); the namespace has no default route, so nothing in it routes off the machine.
//
// Mounts: the kubelet writes machine-wide sysctls at start (vm.overcommit_memory, kernel.panic,
// kernel.panic_on_oops, …; container_manager_linux.go setupKernelTunables) and refuses to start
// when it cannot. In the node's mount namespace those files are bind-mounted over by files of
// the tier's own, so the kubelet sets them there and the machine keeps its values. containerd
// and the kubelet share the namespace (the kubelet's volume mounts must be visible to runc);
// containerd's state, CNI's result cache and the pods' logs are tmpfs in it, gone with it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hostIp = '10.213.1.1';
export const nodeIp = '10.213.1.2';
/** Pod addresses: the CNI bridge's subnet, inside the namespace only. */
export const podRange = '10.213.2.0/24';
export const bridgeIp = '10.213.2.1';

/** The sysctls the kubelet sets, each faked in the node's mount namespace. */
const kubeletSysctls = ['vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops', 'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes'];
/** tmpfs in the node's mount namespace: containerd's state (its shims' sockets are always under /run/containerd), pods' network namespaces, CNI's result cache, pod logs. */
const privateDirs = ['/run/containerd', '/run/netns', '/var/lib/cni', '/var/log'];

export interface Namespaces {
  name: string;
  /** The cgroup (under every v1 hierarchy) the kubelet puts pods in: its cgroupRoot. */
  cgroup: string;
  /** [command, args] that run `bin args` inside both namespaces, in `cwd` (nsenter's default is /), as `user` (default root). */
  enter(bin: string, args: string[], options?: { cwd?: string; user?: { uid: number; gid: number } }): [string, string[]];
  /** Kills whatever still runs in the namespaces or their cgroup, then removes them. Synchronous: also for process exit. */
  remove(): void;
}

const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const ip = (...args: string[]) => run('ip', ...args);
const cgroupRoots = () => readdirSync('/sys/fs/cgroup').map((c) => join('/sys/fs/cgroup', c)).filter((p) => existsSync(join(p, 'cgroup.procs')));

/** SIGKILL every process in a cgroup tree, then remove the tree, deepest first. */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path)) if (statSync(join(path, entry)).isDirectory()) removeCgroup(join(path, entry));
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) kill(Number(pid));
  // A killed process leaves the cgroup when it is reaped: retried for up to 5 s.
  for (let i = 0; ; i++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || i === 100) throw error;
      execFileSync('sleep', ['0.05']);
    }
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

const inodeOf = (file: string) => {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
};

/** Kills every process in the namespaces bound at these files (shims and pods too: they outlive their daemons). */
function killIn(files: string[]): void {
  const inodes = new Set(files.map(inodeOf).filter((i) => i !== undefined).map(String));
  if (inodes.size === 0) return;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && p !== String(process.pid))) {
    for (const kind of ['net', 'mnt']) {
      try {
        if (inodes.has(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/${kind}`))?.[1] ?? '')) kill(Number(pid));
      } catch {
        // Gone, or not ours to read.
      }
    }
  }
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Removes the namespaces bound under `dir` and the cgroup `name`, each step whatever the others
 * did; returns what could not be removed (reported, never thrown: it runs at exit too).
 */
function removeNamespaces(dir: string, name: string): string[] {
  const failed: string[] = [];
  const step = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      failed.push(`${what}: ${(error as Error).message}`);
    }
  };
  const files = [join(dir, 'net.ns'), join(dir, 'mnt.ns')];
  step('kill the namespaces\' processes', () => killIn(files));
  for (const root of cgroupRoots()) step(`remove ${join(root, name)}`, () => removeCgroup(join(root, name)));
  // Unmounting the last reference to the mount namespace drops its tmpfs and the pods' mounts;
  // to the network namespace, drops it with its bridge, rules and the veth pair (so the host's end).
  for (const file of files) if (mountedAt(file)) step(`unmount ${file}`, () => run('umount', file));
  return failed;
}

/** Whether something is mounted at `path` (a namespace file, here). */
const mountedAt = (path: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === path);

/** A run of this tier that was killed left its namespaces (bound under its temp dir) and cgroups: removed when its pid is gone. */
export function removeLeftovers(): void {
  const dirs = new Set<string>();
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const match = /^(.*\/todo-deploy-cluster-[^/]+)\/(net|mnt)\.ns$/.exec(line.split(' ')[4] ?? '');
    if (match) dirs.add(match[1]!);
  }
  for (const dir of dirs) {
    const owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    if (pidAlive(owner)) continue;
    removeNamespaces(dir, `tdnode-${owner}`);
    rmSync(dir, { recursive: true, force: true });
  }
  for (const root of cgroupRoots()) {
    for (const entry of readdirSync(root).filter((e) => /^tdnode-\d+$/.test(e))) {
      if (!pidAlive(Number(entry.slice('tdnode-'.length)))) removeCgroup(join(root, entry));
    }
  }
}

/** The namespaces, bound to files in `dir` (never under /run/netns: `ip netns add` would leave a mount of its own there). */
export function createNamespaces(dir: string): Namespaces {
  removeLeftovers();
  const name = `tdnode-${process.pid}`;
  const hostLink = `tdh${process.pid}`;
  const nodeLink = `tdn${process.pid}`;
  const netFile = join(dir, 'net.ns');
  const mntFile = join(dir, 'mnt.ns');
  const createdDirs = privateDirs.filter((d) => !existsSync(d));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    const failed = removeNamespaces(dir, name);
    for (const d of [...createdDirs].reverse()) {
      try {
        rmdirSync(d);
      } catch (error) {
        failed.push(`remove ${d}: ${(error as Error).message}`);
      }
    }
    if (failed.length) console.error(`cluster tier: left behind, remove by hand:\n  ${failed.join('\n  ')}`);
  };
  const inNet = (...args: string[]) => run('nsenter', `--net=${netFile}`, '--', ...args);
  try {
    if (ip('-o', 'addr', 'show').includes(` ${hostIp}/`)) throw new Error(`${hostIp} is already on an interface of this machine: is another cluster tier running?`);
    writeFileSync(join(dir, 'owner'), String(process.pid));
    for (const d of createdDirs) mkdirSync(d, { recursive: true });
    for (const root of cgroupRoots()) mkdirSync(join(root, name));
    // The mount namespace first: made later, it would hold a copy of the network namespace's
    // binding and keep it alive after the unmount below.
    writeFileSync(mntFile, '');
    run('unshare', `--mount=${mntFile}`, '--propagation', 'private', 'true');
    writeFileSync(netFile, '');
    run('unshare', `--net=${netFile}`, 'true');
    // The pair is made inside, and one end moved to the host's namespace (pid 1's).
    inNet('ip', 'link', 'add', nodeLink, 'type', 'veth', 'peer', 'name', hostLink);
    inNet('ip', 'link', 'set', hostLink, 'netns', '1');
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostLink);
    ip('link', 'set', hostLink, 'up');
    inNet('ip', 'addr', 'add', `${nodeIp}/30`, 'dev', nodeLink);
    inNet('ip', 'link', 'set', nodeLink, 'up');
    inNet('ip', 'link', 'set', 'lo', 'up');

    const sys = join(dir, 'sysctl');
    mkdirSync(sys);
    const script = [
      'set -e',
      ...privateDirs.map((d) => `mount -t tmpfs -o mode=755,size=512m tdnode ${d}`),
      ...kubeletSysctls.map((s) => {
        const fake = join(sys, s.replaceAll('/', '.'));
        return `cat /proc/sys/${s} > ${fake} && mount --bind ${fake} /proc/sys/${s}`;
      }),
    ].join('\n');
    run('nsenter', `--mount=${mntFile}`, '--', 'sh', '-c', script);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    name,
    cgroup: `/${name}`,
    enter: (bin, args, { cwd, user } = {}) => [
      'nsenter',
      [
        `--net=${netFile}`, `--mount=${mntFile}`,
        ...(cwd ? [`--wd=${cwd}`] : []),
        ...(user ? [`--setuid=${user.uid}`, `--setgid=${user.gid}`] : []),
        '--', bin, ...args,
      ],
    ],
    remove,
  };
}
