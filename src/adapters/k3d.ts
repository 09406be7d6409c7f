// The k3d calls the product makes, on the exec seam: importing images into a k3d cluster.
import type { Exec } from '../tools/exec.js';

export type K3d = ReturnType<typeof k3dAdapter>;

export function k3dAdapter(exec: Exec) {
  return {
    /** `k3d version`: read-only; fails with the install hint when k3d is not on PATH. */
    version: () => exec({ tool: 'k3d', args: ['version'], timeoutMs: 15_000 }),
    /** `k3d image import` of this machine's images into the cluster's nodes. */
    load: (cluster: string, refs: readonly string[], timeoutMs: number) => exec({ tool: 'k3d', args: ['image', 'import', ...refs, '--cluster', cluster], mutates: true, timeoutMs }),
  };
}
