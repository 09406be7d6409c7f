// Runs bin/todo-deploy.js in this very process (the arguments after this file's name are the
// CLI's) and, at exit, writes the process's peak resident set size in KiB to the file named by
// BENCH_MAX_RSS_FILE: Node reports no child's peak memory, but every process its own.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
await import('../bin/todo-deploy.js');
