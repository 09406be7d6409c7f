// Pod specs that break one rule each, and changes the rules allow: the tables that prove the
// restricted-profile checker (pod-security.ts) reads every rule, and that the cluster tier
// holds to the real Pod Security admission (test/cluster/pod-security.test.ts).
import type { Manifest } from './helm.js';

export type Mutation = (pod: Manifest, container: Manifest) => void;
const sc = (o: Manifest): Manifest => (o.securityContext ??= {});

// One rule broken per row; the expected text is what the checker must say about it.
export const mutations: [string, Mutation, RegExp][] = [
  ['pod runAsNonRoot removed', (p) => delete sc(p).runAsNonRoot, /runAsNonRoot must be true/],
  ['pod runAsNonRoot false', (p) => (sc(p).runAsNonRoot = false), /runAsNonRoot must not be false/],
  ['container runAsNonRoot false', (_p, c) => (sc(c).runAsNonRoot = false), /runAsNonRoot must not be false/],
  ['pod runAsUser removed', (p) => delete sc(p).runAsUser, /runAsUser must be the number 1001/],
  ['pod runAsUser 0', (p) => (sc(p).runAsUser = 0), /runAsUser must not be 0/],
  ['container runAsUser 0', (_p, c) => (sc(c).runAsUser = 0), /runAsUser must not be 0/],
  ['pod runAsUser a string', (p) => (sc(p).runAsUser = '1001'), /runAsUser must be the number 1001/],
  ['pod runAsGroup removed', (p) => delete sc(p).runAsGroup, /runAsGroup must be the number 1001/],
  ['pod runAsGroup 0', (p) => (sc(p).runAsGroup = 0), /runAsGroup must be the number 1001/],
  ['pod seccompProfile removed', (p) => delete sc(p).seccompProfile, /seccompProfile.type must be RuntimeDefault/],
  ['pod seccompProfile Unconfined', (p) => (sc(p).seccompProfile = { type: 'Unconfined' }), /seccompProfile.type Unconfined/],
  ['container seccompProfile Unconfined', (_p, c) => (sc(c).seccompProfile = { type: 'Unconfined' }), /seccompProfile.type Unconfined/],
  ['allowPrivilegeEscalation removed', (_p, c) => delete sc(c).allowPrivilegeEscalation, /allowPrivilegeEscalation must be false/],
  ['allowPrivilegeEscalation true', (_p, c) => (sc(c).allowPrivilegeEscalation = true), /allowPrivilegeEscalation must be false/],
  ['capabilities removed', (_p, c) => delete sc(c).capabilities, /capabilities.drop must include ALL/],
  ['capabilities.drop without ALL', (_p, c) => (sc(c).capabilities.drop = ['NET_RAW']), /capabilities.drop must include ALL/],
  ['capability added', (_p, c) => (sc(c).capabilities.add = ['SYS_ADMIN']), /capabilities.add SYS_ADMIN/],
  ['readOnlyRootFilesystem removed', (_p, c) => delete sc(c).readOnlyRootFilesystem, /readOnlyRootFilesystem must be true/],
  ['readOnlyRootFilesystem false', (_p, c) => (sc(c).readOnlyRootFilesystem = false), /readOnlyRootFilesystem must be true/],
  ['container securityContext removed', (_p, c) => delete c.securityContext, /allowPrivilegeEscalation must be false/],
  ['pod securityContext removed', (p) => delete p.securityContext, /runAsNonRoot must be true/],
  ['privileged', (_p, c) => (sc(c).privileged = true), /privileged must not be true/],
  ['procMount Unmasked', (_p, c) => (sc(c).procMount = 'Unmasked'), /procMount must be Default/],
  ['hostNetwork', (p) => (p.hostNetwork = true), /hostNetwork must not be true/],
  ['hostPID', (p) => (p.hostPID = true), /hostPID must not be true/],
  ['hostIPC', (p) => (p.hostIPC = true), /hostIPC must not be true/],
  ['hostPort', (_p, c) => (c.ports = [{ containerPort: 80, hostPort: 80 }]), /hostPort 80/],
  ['hostPath volume', (p) => (p.volumes = [...(p.volumes ?? []), { name: 'host', hostPath: { path: '/' } }]), /uses hostPath/],
  ['unsafe sysctl', (p) => (sc(p).sysctls = [{ name: 'kernel.msgmax', value: '1' }]), /kernel.msgmax is not a safe sysctl/],
  ['AppArmor Unconfined', (_p, c) => (sc(c).appArmorProfile = { type: 'Unconfined' }), /appArmorProfile.type Unconfined/],
  ['SELinux spc_t', (p) => (sc(p).seLinuxOptions = { type: 'spc_t' }), /seLinuxOptions.type spc_t/],
  ['Windows hostProcess', (_p, c) => (sc(c).windowsOptions = { hostProcess: true }), /hostProcess must not be true/],
  ['service account token mounted', (p) => delete p.automountServiceAccountToken, /automountServiceAccountToken must be false/],
  [
    'writable mount not an emptyDir',
    (p, c) => {
      p.volumes = [...(p.volumes ?? []), { name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
      c.volumeMounts = [...(c.volumeMounts ?? []), { name: 'data', mountPath: '/data' }];
    },
    /writable mount \/data must be an emptyDir/,
  ],
  [
    'an init container without a securityContext',
    (p, c) => (p.initContainers = [{ name: 'init', image: c.image }]),
    /initContainers\[0\]\(init\)\.securityContext\.allowPrivilegeEscalation must be false/,
  ],
];

/** A pod that meets the restricted profile and issue #3's rules, to which allowedMutations apply. */
/** A pod that meets the restricted profile and issue #3's rules, to which allowedMutations apply. */
export const allowedPod = (): Manifest => ({
  automountServiceAccountToken: false,
  securityContext: { runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [
    {
      name: 'app',
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      volumeMounts: [{ name: 'cfg', mountPath: '/cfg', readOnly: true }],
    },
  ],
  volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
});

/** Changes to allowedPod that the restricted profile allows. */
export const allowedMutations: [string, Mutation][] = [
  ['NET_BIND_SERVICE added', (_p, c) => (c.securityContext.capabilities.add = ['NET_BIND_SERVICE'])],
  ['a Localhost seccomp profile', (p) => (p.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'x.json' })],
  ['runAsNonRoot and seccomp per container', (p, c) => {
    delete p.securityContext.runAsNonRoot;
    delete p.securityContext.seccompProfile;
    Object.assign(c.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  }],
  ['a read-only configMap mount', () => undefined],
  ['a safe sysctl', (p) => (p.securityContext.sysctls = [{ name: 'net.ipv4.tcp_syncookies', value: '1' }])],
];
