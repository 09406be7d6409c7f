// The k3d calls the product makes, on the exec seam: importing images into a k3d cluster.
import type { Exec } from '../tools/exec.js';

export type K3d = ReturnType<typeof k3dAdapter>;

export function k3dAdapter(exec: Exec) {
  return {
    /** `k3d image import` of this machine's images into the cluster's nodes. */
    load: (cluster: string, refs: readonly string[], timeoutMs: number) => exec({ tool: 'k3d', args: ['image', 'import', ...refs, '--cluster', cluster], mutates: true, timeoutMs }),
  };
}
