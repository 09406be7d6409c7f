// Types for the part of workloads.mjs the TypeScript side uses.
import type { SimState } from '../types.js';

/** 'reachable'/'unreachable' when the backend on this NodePort uses an in-cluster database; undefined otherwise. */
export declare function backendDatabase(state: SimState, nodePort: number): 'reachable' | 'unreachable' | undefined;
