// Two runs on one deployment target, as two real processes against one simulator: the first is
// held inside `helm upgrade --wait` (its releases pending-install) by the simulator's `hold`
// fault until the test lets it go. Every wait is on an event — a state reached, a line printed.
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Sim } from '../sim/harness.js';
import { assertSafe, useScenarios, type Scenario } from './up-fixture.js';

const scenario = useScenarios();

const pendingInstall = (sim: Sim) => ['frontend', 'backend'].every((r) => sim.state().helm.releases.minikube?.[`todo/${r}`]?.at(-1)?.status === 'pending-install');
const lockDir = (sim: Sim) => join(sim.home, '.local', 'state', 'todo-deploy', 'locks');
const lockFile = (sim: Sim) => join(lockDir(sim), 'minikube@todo.lock');

/** Starts `up`, and resolves once the simulator shows both its releases pending-install: it is inside `helm upgrade --wait`. */
async function firstRunInsideUpgrade(s: Scenario) {
  let child: ChildProcess | undefined;
  const run = s.up([], { onSpawn: (c) => (child = c) });
  await vi.waitFor(() => expect(pendingInstall(s.sim)).toBe(true), { timeout: 30_000, interval: 50 });
  return { run, pid: child!.pid! };
}

/** The lines a running CLI has written to stderr so far. */
function stderrOf(): { onSpawn: (c: ChildProcess) => void; text: () => string } {
  let text = '';
  return { onSpawn: (c) => c.stderr!.on('data', (d: Buffer | string) => (text += String(d))), text: () => text };
}

const letGo = (sim: Sim) =>
  sim.update((s) => {
    s.faults.hold = [];
  });

// Two CLI runs each: give them room on a busy machine.
describe('two runs on one deployment target', { timeout: 90_000 }, () => {
  it('a second up, from another checkout of the app, waits for the first (inside helm upgrade), naming it, then changes nothing: one deployment, nothing recovered', async () => {
    const s = await scenario({ faults: { hold: ['helm upgrade'] } });
    const clone = join(s.sim.dir, 'app-clone');
    cpSync(s.app.dir, clone, { recursive: true });
    const first = await firstRunInsideUpgrade(s);
    const seen = stderrOf();
    const second = s.up([], { onSpawn: seen.onSpawn, cwd: clone });
    await vi.waitFor(() => expect(seen.text()).toContain('Waiting for another todo-deploy run'), { timeout: 30_000, interval: 50 });
    letGo(s.sim);
    const [a, b] = await Promise.all([first.run, second]);

    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stderr).toMatch(
      new RegExp(`Waiting for another todo-deploy run on Minikube profile "minikube", namespace todo to finish: pid ${first.pid} on ${hostname()} \\(todo-deploy up in ${s.app.dir}\\), since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(.+ ago\\); up to 10m \\(timeouts\\.lock\\)`),
    );
    expect(b.stderr).toContain('that run has finished');
    expect(b.stdout).toContain('Nothing changed');
    const calls = s.sim.calls();
    expect(calls.filter((c) => c.tool === 'helm' && ['uninstall', 'rollback'].includes(c.command))).toEqual([]);
    expect(calls.filter((c) => c.tool === 'helm' && c.command === 'upgrade')).toHaveLength(2);
    expect(calls.filter((c) => c.tool === 'docker' && c.command === 'build')).toHaveLength(2);
    for (const release of ['frontend', 'backend']) {
      expect(s.sim.state().helm.releases.minikube![`todo/${release}`]!.map((r) => `${r.revision} ${r.status}`)).toEqual(['1 deployed']);
    }
    assertSafe(s.sim, a.stdout + a.stderr + b.stdout + b.stderr);
    expect(existsSync(lockFile(s.sim))).toBe(false);
  });

  it('with --no-wait-for-lock the second refuses at once, exit 1, naming the holder; the first goes on undisturbed', async () => {
    const s = await scenario({ faults: { hold: ['helm upgrade'] } });
    const first = await firstRunInsideUpgrade(s);
    const second = await s.up(['--no-wait-for-lock']);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`✖ Another todo-deploy run is deploying to Minikube profile "minikube", namespace todo: pid ${first.pid} on ${hostname()} \\(todo-deploy up in ${s.app.dir}\\), since `));
    expect(second.stderr).toContain('Wait for it to finish and run this again, or run without --no-wait-for-lock to wait for it.');
    expect(pendingInstall(s.sim)).toBe(true);
    // status shows the run under way, beside the releases it holds pending.
    const status = await s.cli(['status']);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^Deploying pid ${first.pid} on ${hostname()} \\(todo-deploy up in ${s.app.dir}\\), since `, 'm'));
    expect(status.stdout).toMatch(/release +frontend revision 1, pending-install/);
    const json = JSON.parse((await s.cli(['status', '--json'])).stdout) as { deploying?: { pid: number; command: string } };
    expect(json.deploying).toMatchObject({ pid: first.pid, command: 'up' });
    letGo(s.sim);
    const a = await first.run;
    expect(a.exitCode, a.stderr).toBe(0);
    expect(s.sim.calls().filter((c) => c.tool === 'helm' && ['uninstall', 'rollback'].includes(c.command))).toEqual([]);
  });

  it("a run that cannot see the first's lock (another machine) leaves its pending releases alone: exit 1, another run is deploying", async () => {
    const s = await scenario({ faults: { hold: ['helm upgrade'] } });
    const first = await firstRunInsideUpgrade(s);
    // Another machine: its own state folder, the same cluster.
    const elsewhere = join(s.sim.dir, 'other-machine');
    mkdirSync(elsewhere);
    const second = await s.up([], { env: { HOME: elsewhere } });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/✖ Another run is deploying (frontend|backend) \(pending-install since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\), so it is not recovered\./);
    expect(second.stderr).toContain('It is no todo-deploy run of this machine (this run holds the lock of Minikube profile "minikube", namespace todo)');
    expect(second.stderr).toContain('Wait for that run to finish, then run todo-deploy up again.');
    letGo(s.sim);
    const a = await first.run;
    expect(a.exitCode, a.stderr).toBe(0);
    expect(s.sim.calls().filter((c) => c.tool === 'helm' && ['uninstall', 'rollback'].includes(c.command))).toEqual([]);
    for (const release of ['frontend', 'backend']) expect(s.sim.state().helm.releases.minikube![`todo/${release}`]!.at(-1)!.status).toBe('deployed');
  });

  it('up --dry-run neither waits nor blocks: it says another run is deploying, exit 0, and changes nothing', async () => {
    const s = await scenario({ faults: { hold: ['helm upgrade'] } });
    const first = await firstRunInsideUpgrade(s);
    const mark = s.sim.calls().length;
    const dry = await s.up(['--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(`warning: Another todo-deploy run is deploying to Minikube profile "minikube", namespace todo right now: pid ${first.pid} on ${hostname()}`);
    expect(dry.stderr).toMatch(/warning: Release backend is pending-install since .+: another run is deploying it, so a real run would not recover it\./);
    expect(dry.stderr).not.toContain('Waiting for another todo-deploy run');
    // What the first run made meanwhile is logged too; of the dry run's own calls none changes anything.
    expect(s.callsSince(mark).filter((c) => c.mutating && !(c.tool === 'helm' && c.command === 'upgrade'))).toEqual([]);
    letGo(s.sim);
    expect((await first.run).exitCode).toBe(0);
    expect(s.sim.calls().filter((c) => c.tool === 'helm' && ['uninstall', 'rollback'].includes(c.command))).toEqual([]);
  });

  it('Ctrl-C while waiting: exit 130, the first run keeps its lock and finishes', async () => {
    const s = await scenario({ faults: { hold: ['helm upgrade'] } });
    const first = await firstRunInsideUpgrade(s);
    const seen = stderrOf();
    let child: ChildProcess | undefined;
    const second = s.up([], { onSpawn: (c) => (seen.onSpawn(c), (child = c)) });
    await vi.waitFor(() => expect(seen.text()).toContain('Waiting for another todo-deploy run'), { timeout: 30_000, interval: 50 });
    child!.kill('SIGINT');
    const b = await second;
    expect(b.exitCode).toBe(130);
    expect(b.stderr).toContain('Interrupted while waiting for another run to finish.');
    expect(JSON.parse(readFileSync(lockFile(s.sim), 'utf8'))).toMatchObject({ pid: first.pid, command: 'up' });
    letGo(s.sim);
    expect((await first.run).exitCode).toBe(0);
    expect(existsSync(lockFile(s.sim))).toBe(false);
  });
});

describe('the lock of a run that is gone', () => {
  it('is taken over with a warning naming it, and released at the end', async () => {
    const s = await scenario({ minikube: 'running' });
    mkdirSync(lockDir(s.sim), { recursive: true });
    // A pid no process has: a run killed outright (SIGKILL, a crash) left its lock behind.
    const gone = { pid: 2 ** 22 + 17, host: hostname(), command: 'up', appDir: '/somewhere/else', startedAt: new Date(Date.now() - 60_000).toISOString() };
    writeFileSync(lockFile(s.sim), JSON.stringify(gone));
    const result = await s.cli(['teardown', '--yes']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: Took over the lock of Minikube profile "minikube", namespace todo from a run that is gone: pid ${gone.pid} on ${hostname()} (todo-deploy up in /somewhere/else), since`);
    expect(existsSync(lockFile(s.sim))).toBe(false);
    expect(JSON.parse(readFileSync(join(lockDir(s.sim), 'minikube@todo.last.json'), 'utf8'))).toMatchObject({ command: 'teardown', outcome: 'ok' });
  });

  it("is not taken over when it is another machine's (its process cannot be checked): refused, saying which file to delete", async () => {
    const s = await scenario({ minikube: 'running' });
    mkdirSync(lockDir(s.sim), { recursive: true });
    writeFileSync(lockFile(s.sim), JSON.stringify({ pid: 4242, host: 'build-agent-7', command: 'up', appDir: '/ci/todo', startedAt: new Date().toISOString() }));
    const result = await s.cli(['rollback', '--no-wait-for-lock']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Another todo-deploy run is deploying to Minikube profile "minikube", namespace todo: pid 4242 on build-agent-7 (todo-deploy up in /ci/todo), since');
    expect(result.stderr).toContain(`If that run is gone (its machine restarted), delete ${lockFile(s.sim)}.`);
  });
});

describe('the lock folder', () => {
  it('not writable: exit 3, naming the file and how to fix it', async () => {
    const s = await scenario({ minikube: 'running' });
    const notAFolder = join(s.sim.dir, 'state-file');
    writeFileSync(notAFolder, '');
    const result = await s.cli(['teardown', '--yes'], { env: { XDG_STATE_HOME: notAFolder } });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`✖ Cannot create the deployment lock ${join(notAFolder, 'todo-deploy', 'locks', 'minikube@todo.lock')}:`);
    expect(result.stderr).toContain('point XDG_STATE_HOME at one that is');
  });
});
