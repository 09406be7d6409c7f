import { ensureRealTools } from './real-tools.js';

export default function setup(): void {
  ensureRealTools();
}
