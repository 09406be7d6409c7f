// The cluster tier's node, beside the control plane in the tier's namespaces: containerd (Debian's)
// with runc and Debian's CNI plugins (a bridge on the pod range), the kubelet (cgroup v1,
// cgroupfs, its cgroups under a root of the tier's own), kube-proxy (iptables mode, in the
// namespace) and CoreDNS (on the node's address, the pods' nameserver; no upstream: nothing
// resolves off the machine). Its name is `minikube`, as Minikube's single node is named.
//
// Why containerd and not cri-dockerd: cri-dockerd refuses Debian's Docker 20.10 (API 1.41 <
// 1.42), and the last release that took it is out of support. Images are built by the tier's
// Docker Engine on the host's namespace (the only one that reaches the package registries) and
// handed to containerd over its unix socket (`docker save | ctr import`) — what Minikube's
// containerd runtime does with `minikube image build`. See images.mjs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiGet, kubeconfig, launch, until, type Started } from './control-plane.js';
import { importImages, pauseImage } from './images.mjs';
import { bridgeIp, nodeIp, podRange, type Namespaces } from './namespaces.js';

export const nodeName = 'minikube';
export const clusterDomain = 'cluster.local';

export interface NodeOptions {
  /** The tier's Docker Engine (unix://…), which holds the pause image. */
  dockerHost: string;
}

interface NodeContext extends NodeOptions {
  bin: string;
  dir: string;
  ns: Namespaces;
  server: string;
  /** The control plane's processes: a node start fails at once when one of them exits. */
  started: Started[];
}

/**
 * containerd's registry hosts (`config_path`): one `<host:port>/hosts.toml` per registry, read at
 * every pull, so a registry started after the node is reachable too (registry.ts writes them).
 */
export const registryHostsDir = (dir: string) => join(dir, 'certs.d');

/** containerd's socket: outside the namespaces' private dirs, so the host's `ctr` reaches it. */
export const containerdSocket = (dir: string) => join(dir, 'containerd.sock');

function containerdConfig(dir: string): string {
  return `version = 2
root = "${join(dir, 'containerd')}"
state = "/run/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "${containerdSocket(dir)}"

# Not /opt/containerd on the machine.
[plugins."io.containerd.internal.v1.opt"]
  path = "${join(dir, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  enable_selinux = false
  # This machine gives root no CAP_SYS_RESOURCE: the kubelet's negative OOM scores (-998 for
  # every pod sandbox) cannot be written, and runc fails with "can't get final child's PID from
  # pipe". Kept no lower than containerd's own (0), as for rootless containerd.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${join(dir, 'cni')}"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${registryHostsDir(dir)}"
`;
}

const cniConfig = (dir: string) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'tdnode',
    plugins: [
      {
        type: 'bridge',
        bridge: 'cni0',
        isGateway: true,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: podRange, gateway: bridgeIp }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'cni-ipam') },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });

function kubeletConfig(dir: string, ns: Namespaces): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This machine has cgroup v1 only (1.35 refuses it by default; 1.34 warns).
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: ns.cgroup,
    containerRuntimeEndpoint: `unix://${containerdSocket(dir)}`,
    address: nodeIp,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: 10248,
    failSwapOn: false,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: join(dir, 'ca.crt') } },
    authorization: { mode: 'AlwaysAllow' },
    clusterDNS: [nodeIp],
    clusterDomain,
    resolvConf: join(dir, 'resolv.conf'),
    podLogsDir: '/var/log/pods',
    // Images cannot be pulled again: never collect them; a busy shared disk is not pressure.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    serializeImagePulls: false,
    // Quicker status updates: the tests wait on pods, not on the kubelet's default 10 s.
    nodeStatusUpdateFrequency: '4s',
    syncFrequency: '10s',
  });
}

function kubeProxyConfig(dir: string): string {
  return JSON.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: join(dir, 'kube-proxy.kubeconfig') },
    hostnameOverride: nodeName,
    mode: 'iptables',
    clusterCIDR: podRange,
    // NodePorts on the node's address, where the host reaches them.
    nodePortAddresses: [`${nodeIp}/32`],
    // Zeros skip the writes to nf_conntrack sysctls, which are not the namespace's own.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    metricsBindAddress: '127.0.0.1:10249',
    healthzBindAddress: '127.0.0.1:10256',
  });
}

function corefile(dir: string): string {
  return `.:53 {
    bind ${nodeIp}
    errors
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        kubeconfig ${join(dir, 'admin.kubeconfig')} ${nodeName}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
}
`;
}

interface NodeStatus {
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Starts containerd, the kubelet, kube-proxy and CoreDNS (added to c.started, to be stopped with the rest); resolves once the node is Ready. */
export async function startNode(c: NodeContext): Promise<void> {
  const { dir, ns, bin } = c;
  const ours = c.started;
  const all = () => ours;
  mkdirSync(join(dir, 'cni'));
  mkdirSync(registryHostsDir(dir));
  writeFileSync(join(dir, 'cni', '10-tdnode.conflist'), cniConfig(dir));
  writeFileSync(join(dir, 'containerd.toml'), containerdConfig(dir));
  writeFileSync(join(dir, 'kubelet.json'), kubeletConfig(dir, ns));
  writeFileSync(join(dir, 'kube-proxy.json'), kubeProxyConfig(dir));
  writeFileSync(join(dir, 'Corefile'), corefile(dir));
  // The node's own resolver, for pods with dnsPolicy Default: none (nothing resolves off the machine).
  writeFileSync(join(dir, 'resolv.conf'), '');
  kubeconfig(dir, c.server, 'kubelet', nodeName);
  kubeconfig(dir, c.server, 'kube-proxy', nodeName);

  ours.push(launch(ns, dir, 'containerd', 'containerd', ['--config', join(dir, 'containerd.toml'), '--log-level', 'warn']));
  const ctr = (...args: string[]) => execFileSync('ctr', ['--address', containerdSocket(dir), ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 });
  await until('containerd', async () => (ctr('version'), true), all(), 30_000);
  await importImages({ dockerHost: c.dockerHost, containerd: containerdSocket(dir), refs: [pauseImage] });

  ours.push(
    launch(ns, dir, 'kubelet', join(bin, 'kubelet'), [
      `--config=${join(dir, 'kubelet.json')}`,
      `--kubeconfig=${join(dir, 'kubelet.kubeconfig')}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${nodeName}`,
      `--node-ip=${nodeIp}`,
      '--v=1',
    ]),
    launch(ns, dir, 'kube-proxy', join(bin, 'kube-proxy'), [`--config=${join(dir, 'kube-proxy.json')}`, '--v=1']),
    launch(ns, dir, 'coredns', join(bin, 'coredns'), ['-conf', join(dir, 'Corefile')]),
  );
  await until(
    `node ${nodeName} Ready`,
    async () => {
      const { status, body } = await apiGet(dir, `/api/v1/nodes/${nodeName}`);
      return status === 200 && ((JSON.parse(body) as NodeStatus).status?.conditions ?? []).some((k) => k.type === 'Ready' && k.status === 'True');
    },
    all(),
    120_000,
  );
}
