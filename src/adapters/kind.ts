// The kind calls the product makes, on the exec seam: loading images into a kind cluster's nodes.
import type { Exec } from '../tools/exec.js';

export type Kind = ReturnType<typeof kindAdapter>;

export function kindAdapter(exec: Exec) {
  return {
    /** `kind version`: read-only; fails with the install hint when kind is not on PATH. */
    version: () => exec({ tool: 'kind', args: ['version'], timeoutMs: 15_000 }),
    /** `kind load docker-image` of this machine's images into every node of the cluster. */
    load: (cluster: string, refs: readonly string[], timeoutMs: number) => exec({ tool: 'kind', args: ['load', 'docker-image', ...refs, '--name', cluster], mutates: true, timeoutMs }),
  };
}
