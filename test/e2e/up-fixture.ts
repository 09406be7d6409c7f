import { afterEach, expect, vi } from 'vitest';
import { createSim, type CallRecord, type Sim, type SimOptions } from '../sim/harness.js';
import { runCli, type RunCliOptions } from '../sim/run-cli.js';
import { createApp, secretValues, type App } from './app-fixture.js';

export interface Scenario {
  sim: Sim;
  app: App;
  up(args?: string[], options?: Partial<RunCliOptions>): ReturnType<typeof runCli>;
  cli(args: string[], options?: Partial<RunCliOptions>): ReturnType<typeof runCli>;
  /** Calls logged since the last mark. */
  callsSince(mark: number): CallRecord[];
}

const cleanups: Array<() => Promise<unknown>> = [];

export function useScenarios(): (options?: SimOptions & { published?: boolean }) => Promise<Scenario> {
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((c) => c()));
  });
  return async ({ published = true, ...options } = {}) => {
    const sim = await createSim({ minikube: 'stopped', ...options });
    const app = await createApp(sim);
    cleanups.push(() => app.close(), () => sim.cleanup());
    sim.update((s) => {
      const profile = s.minikube.profiles.minikube;
      // As if an earlier todo-deploy had created the profile, publishing the NodePorts on localhost.
      if (profile && published) profile.ports = [app.ports.frontend, app.ports.backend].map((p) => `127.0.0.1:${p}:${p}`);
    });
    const cli = (args: string[], extra: Partial<RunCliOptions> = {}) => runCli(args, { sim, cwd: app.dir, timeoutMs: 60_000, ...extra, env: { CI: 'true', ...extra.env } });
    return { sim, app, cli, up: (args = [], extra = {}) => cli(['up', ...args], extra), callsSince: (mark) => sim.calls().slice(mark) };
  };
}

/** Scenarios like `scenario`'s, with the app deployed by a first `up`. */
export function deployedFrom(scenario: ReturnType<typeof useScenarios>): ReturnType<typeof useScenarios> {
  return async (options) => {
    const s = await scenario(options);
    const first = await s.up();
    expect(first.exitCode, first.stderr).toBe(0);
    return s;
  };
}

/** The safety promises, from the call log and the output. */
export function assertSafe(sim: Sim, output: string): void {
  const calls = sim.calls();
  for (const call of calls) {
    const argv = call.argv.join(' ');
    for (const secret of secretValues) {
      if (argv.includes(secret)) throw new Error(`secret in argv: ${call.tool} ${argv}`);
    }
    if (call.unexpected || call.safety || call.internalError) throw new Error(`simulator refused: ${call.tool} ${argv}: ${call.stderr}`);
    const local = call.tool === 'kubectl' ? /^(version|config)/.test(call.command) : call.tool === 'helm' && call.command === 'version';
    if (call.tool === 'kubectl' && !local && !call.argv.includes('--context')) throw new Error(`kubectl without --context: ${argv}`);
    if (call.tool === 'helm' && !local && !call.argv.includes('--kube-context')) throw new Error(`helm without --kube-context: ${argv}`);
  }
  for (const secret of secretValues) {
    if (output.includes(secret)) throw new Error(`secret in output: ${secret.slice(0, 4)}…`);
  }
}

/** Waits until the sim holds `count` calls under these `faults.hold` keys at once. */
export async function waitUntilHeld(sim: Sim, keys: string[], count: number): Promise<void> {
  await vi.waitFor(
    () => {
      const held = sim.held().filter((h) => keys.includes(h.key));
      if (held.length < count) throw new Error(`${held.length} of ${count} calls held under ${keys.join(', ')}: ${held.map((h) => `${h.tool} ${h.command}`).join(', ')}`);
    },
    { timeout: 20_000, interval: 25 },
  );
}

/** Waits until `count` calls are held under these keys, then lets them go on. */
export async function releaseWhenHeld(sim: Sim, keys: string[], count: number): Promise<void> {
  await waitUntilHeld(sim, keys, count);
  sim.release(...keys);
}
