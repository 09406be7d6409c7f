// The Kubernetes "restricted" Pod Security Standard as the admission controller checks it
// (kubernetes/pod-security-admission policy/check_*.go, "latest" version), plus the stricter
// rules issue #3 sets for todo-deploy's pods. Tests need it because nothing here can run a
// cluster: a pod that breaks one rule is rejected at admission and helm's wait times out.
// Each rule reports the field it read, so a failing test names what is missing.

type Obj = Record<string, any>;

interface ContainerRef {
  where: string;
  container: Obj;
}

function containersOf(spec: Obj): ContainerRef[] {
  const refs: ContainerRef[] = [];
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const [i, c] of ((spec[field] as Obj[] | undefined) ?? []).entries()) {
      refs.push({ where: `${field}[${i}](${c.name ?? '?'})`, container: c });
    }
  }
  return refs;
}

const allowedVolumeTypes = new Set([
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret',
]);
const safeSysctls = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const allowedSELinuxTypes = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const allowedSeccomp = new Set(['RuntimeDefault', 'Localhost']);

/** Violations of the restricted profile (which includes baseline) by a pod spec. */
export function restrictedViolations(spec: Obj, podAnnotations: Obj = {}): string[] {
  const v: string[] = [];
  const podSc: Obj = spec.securityContext ?? {};
  const containers = containersOf(spec);

  // Baseline: host namespaces, privileged, hostPath, host ports, AppArmor, SELinux, /proc, sysctls.
  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f] === true) v.push(`spec.${f} must not be true`);
  if (podSc.windowsOptions?.hostProcess === true) v.push('securityContext.windowsOptions.hostProcess must not be true');
  for (const vol of (spec.volumes as Obj[] | undefined) ?? []) {
    const types = Object.keys(vol).filter((k) => k !== 'name');
    for (const t of types) if (!allowedVolumeTypes.has(t)) v.push(`volumes[${vol.name}] uses ${t}, not an allowed volume type`);
  }
  for (const sysctl of (podSc.sysctls as Obj[] | undefined) ?? []) {
    if (!safeSysctls.has(sysctl.name)) v.push(`securityContext.sysctls ${sysctl.name} is not a safe sysctl`);
  }
  const seLinux = (sc: Obj | undefined, where: string): void => {
    const o = sc?.seLinuxOptions;
    if (!o) return;
    if (!allowedSELinuxTypes.has(o.type ?? '')) v.push(`${where}.seLinuxOptions.type ${o.type} is not allowed`);
    if (o.user || o.role) v.push(`${where}.seLinuxOptions.user/role must not be set`);
  };
  const appArmor = (sc: Obj | undefined, where: string): void => {
    const t = sc?.appArmorProfile?.type;
    if (t !== undefined && t !== 'RuntimeDefault' && t !== 'Localhost') v.push(`${where}.appArmorProfile.type ${t} is not allowed`);
  };
  seLinux(podSc, 'securityContext');
  appArmor(podSc, 'securityContext');
  for (const [key, value] of Object.entries(podAnnotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !String(value).startsWith('localhost/')) {
      v.push(`annotation ${key}=${value} is not allowed`);
    }
  }

  // Restricted: non-root, seccomp at pod level or on every container.
  const podNonRoot = podSc.runAsNonRoot === true;
  if (podSc.runAsNonRoot === false) v.push('securityContext.runAsNonRoot must not be false');
  if (podSc.runAsUser === 0) v.push('securityContext.runAsUser must not be 0');
  const podSeccomp = podSc.seccompProfile?.type;
  if (podSeccomp !== undefined && !allowedSeccomp.has(podSeccomp)) v.push(`securityContext.seccompProfile.type ${podSeccomp} is not allowed`);

  for (const { where, container } of containers) {
    const sc: Obj = container.securityContext ?? {};
    const at = `${where}.securityContext`;
    if (sc.privileged === true) v.push(`${at}.privileged must not be true`);
    if (sc.windowsOptions?.hostProcess === true) v.push(`${at}.windowsOptions.hostProcess must not be true`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') v.push(`${at}.procMount must be Default`);
    seLinux(sc, at);
    appArmor(sc, at);
    for (const p of (container.ports as Obj[] | undefined) ?? []) {
      if (p.hostPort !== undefined && p.hostPort !== 0) v.push(`${where}.ports hostPort ${p.hostPort} is not allowed`);
    }
    if (sc.allowPrivilegeEscalation !== false) v.push(`${at}.allowPrivilegeEscalation must be false`);
    const drop: unknown[] = sc.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) v.push(`${at}.capabilities.drop must include ALL`);
    for (const cap of (sc.capabilities?.add as unknown[] | undefined) ?? []) {
      if (cap !== 'NET_BIND_SERVICE') v.push(`${at}.capabilities.add ${String(cap)} is not allowed`);
    }
    if (sc.runAsNonRoot === false) v.push(`${at}.runAsNonRoot must not be false`);
    else if (!podNonRoot && sc.runAsNonRoot !== true) v.push(`${at}.runAsNonRoot must be true (or set at pod level)`);
    if (sc.runAsUser === 0) v.push(`${at}.runAsUser must not be 0`);
    const seccomp = sc.seccompProfile?.type;
    if (seccomp !== undefined && !allowedSeccomp.has(seccomp)) v.push(`${at}.seccompProfile.type ${seccomp} is not allowed`);
    else if (seccomp === undefined && podSeccomp === undefined) v.push(`${at}.seccompProfile.type must be RuntimeDefault or Localhost (or set at pod level)`);
  }
  return v;
}

/**
 * What a chart's pods are allowed beyond issue #3's defaults. The database runs as the official
 * postgres image's fixed user (999, not 1001) and writes to its claim from volumeClaimTemplates,
 * which is not among the pod's volumes; each exception names exactly what it allows.
 */
export interface PodRules {
  /** The numeric user and group every container must run as (default 1001). */
  uid?: number;
  /** Writable mounts of claims from the StatefulSet's volumeClaimTemplates: volume name and path. */
  claimMounts?: { name: string; mountPath: string }[];
}

/**
 * Issue #3's rules on top of the profile: a numeric 1001 user and group, a read-only root
 * filesystem with emptyDir as the only writable volumes, and no service account token.
 */
export function todoDeployViolations(spec: Obj, rules: PodRules = {}): string[] {
  const uid = rules.uid ?? 1001;
  const claimMounts = rules.claimMounts ?? [];
  const v: string[] = [];
  const podSc: Obj = spec.securityContext ?? {};
  if (spec.automountServiceAccountToken !== false) v.push('automountServiceAccountToken must be false');
  const volumes = new Map<string, Obj>(((spec.volumes as Obj[] | undefined) ?? []).map((vol) => [vol.name, vol]));
  for (const { where, container } of containersOf(spec)) {
    const sc: Obj = container.securityContext ?? {};
    for (const field of ['runAsUser', 'runAsGroup']) {
      const effective = sc[field] ?? podSc[field];
      if (effective !== uid) v.push(`${where}: effective ${field} must be the number ${uid}, is ${JSON.stringify(effective)}`);
    }
    if (sc.readOnlyRootFilesystem !== true) v.push(`${where}.securityContext.readOnlyRootFilesystem must be true`);
    for (const mount of (container.volumeMounts as Obj[] | undefined) ?? []) {
      if (mount.readOnly === true) continue;
      // A claim template's volume is not in spec.volumes: a volume of that name there is some
      // other volume, and the exception does not cover it.
      const isClaim = !volumes.has(mount.name) && claimMounts.some((c) => c.name === mount.name && c.mountPath === mount.mountPath);
      if (!isClaim && !volumes.get(mount.name)?.emptyDir) v.push(`${where}: writable mount ${mount.mountPath} must be an emptyDir`);
    }
  }
  return v;
}

export function podViolations(spec: Obj, podAnnotations: Obj = {}, rules: PodRules = {}): string[] {
  return [...restrictedViolations(spec, podAnnotations), ...todoDeployViolations(spec, rules)];
}
