// Shared state of the simulated toolchain: one JSON file and one JSONL call log in the sim dir.
// Several shims run at once (parallel image builds), so every read-modify-write holds a
// mkdir lock, and writes go to a temp file renamed over the old one (readers never see half a file).
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STALE_LOCK_MS = 5_000;
const LOCK_TIMEOUT_MS = 15_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

export const statePath = (dir) => join(dir, 'state.json');
export const callLogPath = (dir) => join(dir, 'calls.jsonl');

function sleepSync(ms) {
  Atomics.wait(pause, 0, 0, ms);
}

function acquire(dir) {
  const lockDir = join(dir, 'state.lock');
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    // A holder that crashed leaves its lock behind; no holder keeps it this long.
    try {
      if (Date.now() - statSync(lockDir).mtimeMs > STALE_LOCK_MS) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
    } catch {
      continue;
    }
    if (Date.now() > deadline) throw new Error(`simulator state lock ${lockDir} held for too long`);
    sleepSync(1 + Math.random() * 4);
  }
}

export function withLock(dir, fn) {
  const release = acquire(dir);
  try {
    return fn();
  } finally {
    release();
  }
}

export function readState(dir) {
  return JSON.parse(readFileSync(statePath(dir), 'utf8'));
}

export function writeState(dir, state) {
  const target = statePath(dir);
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(state, null, 2));
  renameSync(partial, target);
}

/** Runs fn(state) under the lock; fn mutates the state in place; its return value is passed on. */
export function updateState(dir, fn) {
  return withLock(dir, () => {
    const state = readState(dir);
    const result = fn(state);
    writeState(dir, state);
    return result;
  });
}

export function appendCall(dir, record) {
  withLock(dir, () => appendFileSync(callLogPath(dir), `${JSON.stringify(record)}\n`));
}

export function readCalls(dir) {
  let text;
  try {
    text = readFileSync(callLogPath(dir), 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}
