// `npm run bench`: the built CLI against the simulated toolchain with a set latency per step,
// several runs of each scenario, medians in a table and in a JSON file. A benchmark, not a
// test: nothing here fails on a number; the README's "Performance" section says what to expect.
//
//   npm run bench [-- --runs N] [--out FILE] [--calls]
//
// --calls prints the call timeline of the last first `up` and the last no-op `up`.
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, secrets, type App } from '../test/e2e/app-fixture.js';
import { createSim, type CallRecord, type Sim } from '../test/sim/harness.js';
import { cliEntry, repoRoot, runCli } from '../test/sim/run-cli.js';
import { latencyPath, steps, timeCriticalPath, total, type StepTimes } from './critical-path.js';

const latency = {
  'minikube start': 1500,
  'docker build': 1000,
  'helm upgrade': 800,
  'kubectl rollout status': 500,
  default: 20,
};

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '4' },
    out: { type: 'string', default: join(repoRoot, 'bench', 'results.json') },
    calls: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(flags.runs));
const startupRuns = Math.max(5, runs * 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round = (x: number, digits = 0) => Number(x.toFixed(digits));

interface Scenario {
  sim: Sim;
  app: App;
  close(): Promise<void>;
}

/** A stopped Minikube profile that publishes the app's NodePorts on localhost, and the app checkout. */
async function scenario(): Promise<Scenario> {
  const sim = await createSim({ minikube: 'stopped', faults: { latency } });
  const app = await createApp(sim);
  sim.update((s) => {
    s.minikube.profiles.minikube!.ports = [app.ports.frontend, app.ports.backend].map((p) => `127.0.0.1:${p}:${p}`);
  });
  return { sim, app, close: async () => (await app.close(), await sim.cleanup()) };
}

interface UpRun {
  wallMs: number;
  maxRssKiB: number;
  calls: CallRecord[];
  t0: number;
}

/** `todo-deploy up` through bench/max-rss.mjs, which runs bin/todo-deploy.js in its own process. */
async function up({ sim, app }: Scenario): Promise<UpRun> {
  const rssFile = join(sim.dir, 'max-rss');
  const mark = sim.calls().length;
  const t0 = performance.timeOrigin + performance.now();
  const result = await runCli(['up'], { sim, cwd: app.dir, env: { CI: 'true', BENCH_MAX_RSS_FILE: rssFile }, timeoutMs: 60_000, entry: join(repoRoot, 'bench', 'max-rss.mjs') });
  const wallMs = performance.timeOrigin + performance.now() - t0;
  if (result.exitCode !== 0) throw new Error(`todo-deploy up failed (${result.exitCode}):\n${result.stderr}`);
  return { wallMs, maxRssKiB: Number(readFileSync(rssFile, 'utf8')), calls: sim.calls().slice(mark), t0 };
}

/** The deployment guide's commands, one after the other, in bash, against the same simulator. */
async function sequentialScript({ sim, app }: Scenario): Promise<number> {
  const data = (keys: Record<string, string>) => Object.entries(keys).map(([key, env]) => `${key}=${secrets[env as keyof typeof secrets]}`).join('\n') + '\n';
  writeFileSync(join(app.dir, 'frontend-secrets.env'), data({ 'auth-secret': 'BETTER_AUTH_SECRET' }), { mode: 0o600 });
  writeFileSync(
    join(app.dir, 'backend-secrets.env'),
    data({ 'database-url': 'DATABASE_URL', 'openai-api-key': 'OPENAI_API_KEY', 'auth-secret': 'BETTER_AUTH_SECRET', 'auth-url': 'BETTER_AUTH_URL' }),
    { mode: 0o600 },
  );
  const env = { ...sim.env, REPO: repoRoot, APP: app.dir, NODE: process.execPath, FRONTEND_PORT: String(app.ports.frontend), BACKEND_PORT: String(app.ports.backend) };
  const t0 = performance.now();
  const { code, stderr } = await run(bash, [join(repoRoot, 'bench', 'sequential.sh')], { env, cwd: app.dir });
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`bench/sequential.sh failed (${code}):\n${stderr}`);
  return wallMs;
}

function run(command: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

async function timeStartup(args: string[]): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < startupRuns; i++) {
    const t0 = performance.now();
    const { code } = await run(process.execPath, args, { env: { PATH: process.env.PATH ?? '' } });
    times.push(performance.now() - t0);
    if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${code}`);
  }
  return times;
}

function findOnPath(name: string): string {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    try {
      const candidate = join(folder, name);
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`bash is needed for the sequential baseline and is not on PATH`);
}
const bash = findOnPath('bash');

function timeline(label: string, run: UpRun): string {
  const rows = [...run.calls].sort((a, b) => a.start - b.start).map((c) => {
    const at = (t: number) => (t - run.t0).toFixed(0).padStart(6);
    return `${at(c.start)} ${at(c.end)} ${(c.end - c.start).toFixed(0).padStart(5)} ${c.mutating ? 'M' : ' '} ${c.tool} ${c.argv.join(' ').slice(0, 100)}`;
  });
  return [`${label} (wall ${run.wallMs.toFixed(0)} ms; start, end, duration in ms after spawn)`, ...rows].join('\n');
}

const progress = (text: string) => process.stderr.write(`${text}\n`);

// --- first `up` on a stopped cluster, its critical path, the sequential script ------------------
// Interleaved, so that whatever else the machine does weighs on all three alike.
// The script, slower and steadier, runs every other time: the whole bench stays under two minutes.
const scriptRuns = Math.ceil(runs / 2);
progress(`first up on a stopped cluster and its critical path: 1 warm-up + ${runs} runs each; the sequential script: ${scriptRuns} runs`);
const firstRuns: UpRun[] = [];
const pathRuns: StepTimes[] = [];
const scriptWalls: number[] = [];
for (let i = 0; i <= runs; i++) {
  // The warm-up fills the OS file cache (the CLI, the simulator, the real helm it renders with).
  const scenarios = i === 0 ? (['up'] as const) : i % 2 ? (['up', 'path', 'script'] as const) : (['up', 'path'] as const);
  const warmUp = i === 0;
  for (const which of scenarios) {
    const s = await scenario();
    try {
      if (which === 'up') {
        const r = await up(s);
        if (!warmUp) firstRuns.push(r);
      } else if (which === 'path') {
        const times = await timeCriticalPath(s.sim, s.app, repoRoot);
        if (!warmUp) pathRuns.push(times);
      } else scriptWalls.push(await sequentialScript(s));
    } finally {
      await s.close();
    }
  }
}

// --- a second `up` with nothing changed ----------------------------------------------------------
progress(`no-op up: ${runs} runs`);
const noopRuns: UpRun[] = [];
{
  const s = await scenario();
  try {
    await up(s);
    for (let i = 0; i < runs; i++) noopRuns.push(await up(s));
  } finally {
    await s.close();
  }
}

// --- start-up ----------------------------------------------------------------------------------
progress(`start-up: ${startupRuns} runs each`);
const bare = await timeStartup(['-e', '0']);
const help = await timeStartup([cliEntry, '--help']);
const version = await timeStartup([cliEntry, '--version']);

// --- report ------------------------------------------------------------------------------------
const firstWall = median(firstRuns.map((r) => r.wallMs));
const pathSteps = Object.fromEntries(steps.map((step) => [step.id, median(pathRuns.map((t) => t[step.id]!))]));
const critical = median(pathRuns.map(total));
const latencyOnly = latencyPath(latency);
const scriptWall = median(scriptWalls);
const noopCalls = noopRuns.map((r) => r.calls.length);
const noopMutating = noopRuns.map((r) => r.calls.filter((c) => c.mutating).length);
const bareMs = median(bare);
const helpMs = median(help);
const versionMs = median(version);
const peakRssMiB = Math.max(...firstRuns.map((r) => r.maxRssKiB)) / 1024;

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: process.platform },
  latencyMs: latency,
  runs: { firstUp: firstRuns.length, criticalPath: pathRuns.length, sequentialScript: scriptWalls.length, noopUp: noopRuns.length, startup: startupRuns },
  firstUp: {
    wallMs: round(firstWall),
    criticalPathMs: round(critical),
    ratio: round(firstWall / critical, 3),
    criticalPathStepsMs: Object.fromEntries(Object.entries(pathSteps).map(([k, v]) => [k, round(v)])),
    latencyOnlyCriticalPathMs: total(latencyOnly),
    ratioToLatencyOnly: round(firstWall / total(latencyOnly), 3),
    wallsMs: firstRuns.map((r) => round(r.wallMs)),
  },
  sequentialScript: { wallMs: round(scriptWall), ratio: round(firstWall / scriptWall, 3), wallsMs: scriptWalls.map((w) => round(w)) },
  noopUp: {
    wallMs: round(median(noopRuns.map((r) => r.wallMs))),
    calls: median(noopCalls),
    mutatingCalls: Math.max(...noopMutating),
    callList: noopRuns.at(-1)!.calls.map((c) => `${c.tool} ${c.argv.join(' ')}`),
  },
  startup: {
    bareNodeMs: round(bareMs),
    helpMs: round(helpMs),
    helpRatio: round(helpMs / bareMs, 3),
    versionMs: round(versionMs),
    versionRatio: round(versionMs / bareMs, 3),
  },
  memory: { upPeakRssMiB: round(peakRssMiB, 1), upMedianRssMiB: round(median(firstRuns.map((r) => r.maxRssKiB)) / 1024, 1) },
};

const targets = [
  { what: 'first up: wall / critical path', value: results.firstUp.ratio, limit: 1.1, ok: results.firstUp.ratio <= 1.1 },
  { what: 'todo-deploy / sequential script', value: results.sequentialScript.ratio, limit: 0.75, ok: results.sequentialScript.ratio <= 0.75 },
  { what: 'no-op up: mutating calls', value: results.noopUp.mutatingCalls, limit: 0, ok: results.noopUp.mutatingCalls === 0 },
  { what: 'no-op up: external calls', value: results.noopUp.calls, limit: 15, ok: results.noopUp.calls <= 15 },
  { what: '--help / bare node', value: results.startup.helpRatio, limit: 2.5, ok: results.startup.helpRatio <= 2.5 },
  { what: 'up: peak memory (MiB)', value: results.memory.upPeakRssMiB, limit: 150, ok: results.memory.upPeakRssMiB < 150 },
];

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const table: Array<[string, string, string]> = [
  ['first `up`, stopped cluster', s(firstWall), `critical path ${s(critical)} → ×${results.firstUp.ratio.toFixed(2)}`],
  ['sequential script (the guide)', s(scriptWall), `todo-deploy / script ×${results.sequentialScript.ratio.toFixed(2)}`],
  ['no-op `up`', s(results.noopUp.wallMs), `${results.noopUp.calls} external calls, ${results.noopUp.mutatingCalls} mutating`],
  ['`todo-deploy --help`', `${helpMs.toFixed(0)} ms`, `×${results.startup.helpRatio.toFixed(2)} bare node (${bareMs.toFixed(0)} ms)`],
  ['`todo-deploy --version`', `${versionMs.toFixed(0)} ms`, `×${results.startup.versionRatio.toFixed(2)} bare node`],
  ['peak memory of `up`', `${results.memory.upPeakRssMiB.toFixed(0)} MiB`, `max RSS over ${firstRuns.length} runs (median ${results.memory.upMedianRssMiB.toFixed(0)} MiB)`],
];
const width = (i: 0 | 1) => Math.max(...table.map((row) => row[i].length));
const lines = [
  '',
  `todo-deploy bench — ${results.machine.cpus} × ${results.machine.cpuModel}, Node ${process.version}; medians of ${runs} runs`,
  `latencies: ${Object.entries(latency).map(([k, v]) => `${k === 'default' ? 'every other call' : k} ${v} ms`).join(', ')}`,
  '',
  `| ${'scenario'.padEnd(width(0))} | ${'median'.padStart(width(1))} | |`,
  `|${'-'.repeat(width(0) + 2)}|${'-'.repeat(width(1) + 1)}:|---|`,
  ...table.map(([a, b, c]) => `| ${a.padEnd(width(0))} | ${b.padStart(width(1))} | ${c} |`),
  '',
  `critical path (medians, ms): ${steps.map((step) => `${step.id} ${pathSteps[step.id]!.toFixed(0)}`).join(' → ')}`,
  `  on the latencies alone: ${steps.map((step) => `${step.id} ${latencyOnly[step.id]}`).join(' → ')} = ${s(total(latencyOnly))}; wall / that ×${results.firstUp.ratioToLatencyOnly.toFixed(2)}`,
  '',
  ...targets.map((t) => `${t.ok ? 'ok  ' : 'MISS'}  ${t.what}: ${t.value} (target ${t.what.includes('memory') ? '<' : '≤'} ${t.limit})`),
];
if (flags.calls) lines.push('', timeline('last first up', firstRuns.at(-1)!), '', timeline('last no-op up', noopRuns.at(-1)!));
console.log(lines.join('\n'));

const out = resolve(flags.out);
writeFileSync(out, `${JSON.stringify({ ...results, targets }, null, 2)}\n`);
console.log(`\nwrote ${out}`);
