// `docker run` as the chart runs the pod: the Deployment rendered by the real helm from the
// values up gives it (chartValues), turned into flags — the container's env (secretKeyRef
// entries filled from the test's Secret), runAsUser/runAsGroup, readOnlyRootFilesystem, the
// dropped capabilities, no privilege escalation, and each emptyDir as a tmpfs. What differs, and
// why: the pod's own network namespace becomes --network host (the tier's daemon has no
// bridge), so the server binds 127.0.0.1 on a free port instead of 0.0.0.0 on the chart's.
import { stringify } from 'yaml';
import type { Service } from '../../src/config/schema.js';
import { defaults } from '../../src/config/schema.js';
import { chartValues } from '../../src/deployment/chart-values.js';
import { secretNames } from '../../src/deployment/secret-keys.js';
import { renderChart, type Manifest } from '../support/helm.js';

export interface PodSpec {
  user: string;
  env: Record<string, string>;
  flags: string[];
}

/** The container of the service's Deployment, rendered by helm 3 from up's values. */
export function renderedContainer(service: Service, image: { repository: string; tag: string }, backendUrl: string): { container: Manifest; pod: Manifest } {
  const config = defaults[service];
  const values = chartValues({
    service,
    config,
    image: { ...image, buildArgs: service === 'frontend' ? { NEXT_PUBLIC_BACKEND_URL: backendUrl } : {} },
    secretName: secretNames[service],
    secretChecksum: 'engine-tier',
  });
  const deployment = renderChart('helm3', service, { values: stringify(values) }).find((m) => m.kind === 'Deployment');
  if (!deployment) throw new Error(`the ${service} chart rendered no Deployment`);
  return { container: deployment.spec.template.spec.containers[0], pod: deployment.spec.template.spec };
}

/**
 * docker run flags for the rendered pod. `secret` holds the Secret's data by key; `overrides`
 * replaces env entries (the bind address and port).
 */
export function podFlags(rendered: { container: Manifest; pod: Manifest }, secret: Record<string, string>, overrides: Record<string, string>): PodSpec {
  const { container, pod } = rendered;
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef) {
      const value = secret[e.valueFrom.secretKeyRef.key];
      if (value === undefined) throw new Error(`no test value for secret key ${e.valueFrom.secretKeyRef.key}`);
      env[e.name] = value;
    } else env[e.name] = String(e.value);
  }
  Object.assign(env, overrides);
  const podSec = pod.securityContext ?? {};
  const sec = container.securityContext ?? {};
  const user = `${sec.runAsUser ?? podSec.runAsUser}:${sec.runAsGroup ?? podSec.runAsGroup}`;
  const flags = ['--user', user];
  if (sec.readOnlyRootFilesystem) flags.push('--read-only');
  for (const cap of sec.capabilities?.drop ?? []) flags.push('--cap-drop', cap);
  if (sec.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  // An emptyDir is a fresh directory every pod can write to (0777); sizeLimit bounds it.
  const volumes = new Map<string, Manifest>((pod.volumes ?? []).map((v: Manifest) => [v.name, v]));
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume?.emptyDir) throw new Error(`volume ${mount.name} is not an emptyDir`);
    const size = volume.emptyDir.sizeLimit ? `,size=${String(volume.emptyDir.sizeLimit).replace(/i$/, '').toLowerCase()}` : '';
    flags.push('--tmpfs', `${mount.mountPath}:rw,exec,nosuid,nodev,mode=1777${size}`);
  }
  return { user, env, flags };
}
