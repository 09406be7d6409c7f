// Types for the part of cluster.mjs the TypeScript harness uses.
import type { ClusterState } from '../types.js';

/** A fresh cluster with the four namespaces every cluster starts with. */
export declare function newCluster(server: string, extra?: Partial<ClusterState>): ClusterState;
