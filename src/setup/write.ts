// Writing what setup planned: .env with mode 600, todo-deploy.yaml, the .gitignore entry.
import { mkdir, open, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { WritePlan } from './plan.js';

export async function writeFiles(plan: WritePlan): Promise<void> {
  await mkdir(dirname(plan.env.path), { recursive: true });
  // chmod before the first byte: an existing .env may be world-readable, and `mode` applies only to new files.
  const handle = await open(plan.env.path, 'w', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(plan.env.text);
  } finally {
    await handle.close();
  }
  await mkdir(dirname(plan.config.path), { recursive: true });
  await writeFile(plan.config.path, plan.config.text);
  if (plan.gitignore.append) await writeFile(plan.gitignore.path, plan.gitignore.text);
}
