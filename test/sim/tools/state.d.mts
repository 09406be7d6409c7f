// Types for state.mjs, so the TypeScript harness shares the tools' lock and file handling.
import type { CallRecord, SimState } from '../types.js';

export declare function statePath(dir: string): string;
export declare function callLogPath(dir: string): string;
export declare function withLock<T>(dir: string, fn: () => T): T;
export declare function readState(dir: string): SimState;
export declare function writeState(dir: string, state: SimState): void;
export declare function updateState<T>(dir: string, fn: (state: SimState) => T): T;
export declare function appendCall(dir: string, record: CallRecord): void;
export declare function readCalls(dir: string): CallRecord[];
