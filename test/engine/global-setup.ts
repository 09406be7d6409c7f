// The engine tier's global setup: the real helm (the charts are rendered to run the images as
// the pods run), and, at the end — also after Ctrl-C, when a test worker may be killed before
// its own cleanup finished — whatever daemon or run folder a run left on the data root.
import { join } from 'node:path';
import { ensureRealTools } from '../support/real-tools.js';
import { CACHE } from './bases.js';
import { stopLeftover } from './daemon.js';

export default function setup(): () => Promise<void> {
  ensureRealTools();
  return () => stopLeftover(join(CACHE, 'docker'));
}
