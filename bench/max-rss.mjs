// Runs bin/todo-deploy.js in this very process (the arguments after this file's name are the
// CLI's) and, at exit, writes the process's peak resident set size in KiB to the file named by
// BENCH_MAX_RSS_FILE: Node reports no child's peak memory, but every process its own.
//
// On Linux, VmHWM of /proc/self/status, not getrusage's maxrss: a process started by fork and
// exec inherits in maxrss the RSS its parent had when it forked (here the bench's own, which is
// large once it has unpacked the real helm and kubectl), while VmHWM counts this program only.
import { readFileSync, writeFileSync } from 'node:fs';

function peakKiB() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // No /proc: not Linux.
  }
  return process.resourceUsage().maxRSS;
}

const file = process.env.BENCH_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(peakKiB())));
await import('../bin/todo-deploy.js');
