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
// containerd's state, CNI's state and the pods' logs are tmpfs in it, gone with it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const hostIp = '10.213.1.1';
export const nodeIp = '10.213.1.2';
/** Pod addresses: the CNI bridge's subnet, inside the namespace only. */
export const podRange = '10.213.2.0/24';
export const bridgeIp = '10.213.2.1';

/** The sysctls the kubelet sets, each faked in the node's mount namespace. */
const kubeletSysctls = ['vm/overcommit_memory', 'vm/panic_on_oom', 'kernel/panic', 'kernel/panic_on_oops', 'kernel/keys/root_maxkeys', 'kernel/keys/root_maxbytes'];
/** tmpfs in the node's mount namespace: containerd's state (its shims' sockets are always under /run/containerd), pods' network namespaces, CNI's cache, pod logs. */
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

const nsInode = (pid: string, kind: 'net' | 'mnt') => {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
};

/** SIGKILL every process in a cgroup tree, then remove the tree, deepest first. */
function removeCgroup(path: string): void {
  if (!existsSync(path)) return;
  for (const entry of readdirSync(path)) if (statSync(join(path, entry)).isDirectory()) removeCgroup(join(path, entry));
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  // A killed process leaves the cgroup when it is reaped: retry briefly.
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      execFileSync('sleep', ['0.05']);
    }
  }
  rmdirSync(path);
}

/** Kills every process whose network or mount namespace is one of `inodes`. */
function killIn(inodes: Set<string>): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && p !== String(process.pid))) {
    if (inodes.has(nsInode(pid, 'net') ?? '') || inodes.has(nsInode(pid, 'mnt') ?? '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }
}

/** A run of this tier that died without cleaning up left `tdnode-<pid>`: removed when its pid is gone. */
export function removeLeftovers(): void {
  const names = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => /^tdnode-\d+$/.test(n)) : [];
  for (const name of names) {
    const pid = Number(name.slice('tdnode-'.length));
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) removeNamespaces(name, undefined);
  }
  for (const root of cgroupRoots()) {
    for (const entry of readdirSync(root).filter((e) => /^tdnode-\d+$/.test(e))) {
      const pid = Number(entry.slice('tdnode-'.length));
      try {
        process.kill(pid, 0);
      } catch {
        removeCgroup(join(root, entry));
      }
    }
  }
}

function removeNamespaces(name: string, mntFile: string | undefined): void {
  const inodes = new Set<string>();
  try {
    inodes.add(`net:[${statSync(`/run/netns/${name}`).ino}]`);
  } catch {
    // No network namespace.
  }
  if (mntFile && existsSync(mntFile)) {
    try {
      inodes.add(`mnt:[${statSync(mntFile).ino}]`);
    } catch {
      // Not a namespace file.
    }
  }
  killIn(inodes);
  for (const root of cgroupRoots()) removeCgroup(join(root, name));
  if (mntFile) {
    try {
      run('umount', mntFile);
    } catch {
      // Not mounted.
    }
  }
  // Deleting the namespace deletes its end of the veth pair, and so the host's end.
  try {
    ip('netns', 'delete', name);
  } catch {
    // Gone already.
  }
}

export function createNamespaces(dir: string): Namespaces {
  removeLeftovers();
  const name = `tdnode-${process.pid}`;
  const hostLink = `tdh${process.pid}`;
  const nodeLink = `tdn${process.pid}`;
  const mntFile = join(dir, 'mnt.ns');
  const createdDirs = privateDirs.filter((d) => !existsSync(d));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    removeNamespaces(name, mntFile);
    for (const d of createdDirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // Not ours to remove any more (not empty).
      }
    }
  };
  try {
    if (ip('-o', 'addr', 'show').includes(` ${hostIp}/`)) throw new Error(`${hostIp} is already on an interface of this machine: is another cluster tier running?`);
    ip('netns', 'add', name);
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', nodeLink, 'netns', name);
    ip('addr', 'add', `${hostIp}/30`, 'dev', hostLink);
    ip('link', 'set', hostLink, 'up');
    ip('-n', name, 'addr', 'add', `${nodeIp}/30`, 'dev', nodeLink);
    ip('-n', name, 'link', 'set', nodeLink, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');

    for (const d of createdDirs) mkdirSync(d, { recursive: true });
    for (const root of cgroupRoots()) mkdirSync(join(root, name));
    writeFileSync(mntFile, '');
    run('unshare', `--mount=${mntFile}`, '--propagation', 'private', 'true');
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
        `--net=/run/netns/${name}`, `--mount=${mntFile}`,
        ...(cwd ? [`--wd=${cwd}`] : []),
        ...(user ? [`--setuid=${user.uid}`, `--setgid=${user.gid}`] : []),
        '--', bin, ...args,
      ],
    ],
    remove,
  };
}
