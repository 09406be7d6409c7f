// Storage on the tier's node, as Minikube gives it: a default StorageClass, and volumes that are
// folders on the node (hostPath), which is what Minikube's storage-provisioner makes for each
// claim (/tmp/hostpath-provisioner/<namespace>/<claim>, mode 0777). The bare node has no
// dynamic provisioner, so the class is `kubernetes.io/no-provisioner` with
// WaitForFirstConsumer, and a test makes the volume for the claim it expects (pre-bound to it
// by claimRef) before the product asks for it. A hostPath volume, like Minikube's, does not
// apply the pod's fsGroup: the folder's own mode decides whether the postgres user can write.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './images.mjs';
import { realToolPath } from '../support/real-tools.js';

/** Minikube's default class is named `standard` too. */
export const defaultStorageClass = 'standard';

const kubectl = (kubeconfig: string, args: string[], input?: string) =>
  run(realToolPath('kubectl134'), ['--kubeconfig', kubeconfig, '--context', 'minikube', ...args], { input }) as Promise<string>;

/** `kubectl apply -f -` of one object. */
const apply = (kubeconfig: string, object: object) => kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(object));

/** The cluster's default StorageClass (cluster-wide; goes with the control plane). */
export async function createDefaultStorageClass(kubeconfig: string): Promise<void> {
  await apply(kubeconfig, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: defaultStorageClass, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Retain',
  });
}

export interface HostPathVolume {
  name: string;
  /** The folder on the node. */
  path: string;
  /** Deletes the PersistentVolume and its folder (whatever the postgres user wrote in it). */
  remove(): Promise<void>;
}

/**
 * A 1Gi ReadWriteOnce hostPath PersistentVolume of the default class, pre-bound to the claim
 * `claim` in `namespace`, on a folder under `parent` made with `mode` (0777 as Minikube's
 * provisioner makes it; 0755 and root's for a volume the postgres user cannot write).
 */
export async function hostPathVolume(kubeconfig: string, parent: string, o: { namespace: string; claim: string; mode: number; size?: string }): Promise<HostPathVolume> {
  const name = `pv-${o.namespace}-${o.claim}`.slice(0, 63);
  const path = join(parent, 'hostpath-provisioner', o.namespace, o.claim);
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
  // mkdir's mode is masked by the umask: set it exactly.
  chmodSync(path, o.mode);
  await apply(kubeconfig, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage: o.size ?? '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: defaultStorageClass,
      claimRef: { namespace: o.namespace, name: o.claim },
      hostPath: { path, type: 'Directory' },
    },
  });
  return {
    name,
    path,
    async remove() {
      await kubectl(kubeconfig, ['delete', 'pv', name, '--ignore-not-found', '--wait=false']);
      rmSync(join(parent, 'hostpath-provisioner', o.namespace), { recursive: true, force: true });
    },
  };
}
