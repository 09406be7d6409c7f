import { afterAll, afterEach, vi } from 'vitest';
import { createSim, type CallRecord, type Sim, type SimOptions, type SimSnapshot } from '../sim/harness.js';
import { runCli, type RunCliOptions } from '../sim/run-cli.js';
import { appIn, createApp, secretValues, type App } from './app-fixture.js';

export interface Scenario {
  sim: Sim;
  app: App;
  up(args?: string[], options?: Partial<RunCliOptions>): ReturnType<typeof runCli>;
  cli(args: string[], options?: Partial<RunCliOptions>): ReturnType<typeof runCli>;
  /** Calls logged since the last mark. */
  callsSince(mark: number): CallRecord[];
}

const cleanups: Array<() => Promise<unknown>> = [];

async function cleanUp(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((c) => c()));
}

function scenarioOf(sim: Sim, app: App): Scenario {
  const cli = (args: string[], extra: Partial<RunCliOptions> = {}) => runCli(args, { sim, cwd: app.dir, timeoutMs: 60_000, ...extra, env: { CI: 'true', ...extra.env } });
  return { sim, app, cli, up: (args = [], extra = {}) => cli(['up', ...args], extra), callsSince: (mark) => sim.calls().slice(mark) };
}

type ScenarioOptions = SimOptions & { published?: boolean };

async function newScenario({ published = true, ...options }: ScenarioOptions): Promise<Scenario> {
  const sim = await createSim({ minikube: 'stopped', ...options });
  const app = await createApp(sim);
  sim.update((s) => {
    const profile = s.minikube.profiles.minikube;
    // As if an earlier todo-deploy had created the profile, publishing the NodePorts on localhost.
    if (profile && published) profile.ports = [app.ports.frontend, app.ports.backend].map((p) => `127.0.0.1:${p}:${p}`);
  });
  return scenarioOf(sim, app);
}

export function useScenarios(): (options?: ScenarioOptions) => Promise<Scenario> {
  afterEach(cleanUp);
  return async (options = {}) => {
    const scenario = await newScenario(options);
    cleanups.push(() => scenario.app.close(), () => scenario.sim.cleanup());
    return scenario;
  };
}

/**
 * Scenarios with the app deployed by a first `up`. That `up` runs once per file and options;
 * each test gets a copy of the world it left (a sim from its snapshot, call log included) and
 * its HTTP servers, answering 200 again. The servers are shared, so a file's tests that use this
 * must run one at a time (vitest's default); a test that closes them gets the next test a new `up`.
 */
export function useDeployed(): (options?: ScenarioOptions) => Promise<Scenario> {
  const templates = new Map<string, Promise<{ snapshot: SimSnapshot; app: App }>>();
  const all: Array<Promise<{ snapshot: SimSnapshot; app: App }>> = [];
  afterEach(cleanUp);
  afterAll(async () => {
    const made = await Promise.allSettled(all);
    for (const m of made) if (m.status === 'fulfilled') await Promise.all([m.value.snapshot.cleanup(), m.value.app.close()]);
  });
  const deploy = async (options: ScenarioOptions) => {
    const { sim, app, up } = await newScenario(options);
    const first = await up();
    const snapshot = sim.snapshot();
    await sim.cleanup();
    if (first.exitCode !== 0) {
      await Promise.all([snapshot.cleanup(), app.close()]);
      throw new Error(`the first up failed (exit ${first.exitCode}):\n${first.stderr}`);
    }
    return { snapshot, app };
  };
  return async (options = {}) => {
    const key = JSON.stringify(options);
    if (!templates.has(key)) {
      templates.set(key, deploy(options));
      all.push(templates.get(key)!);
    }
    const { snapshot, app: servers } = await templates.get(key)!;
    const sim = await createSim({ from: snapshot });
    cleanups.push(() => sim.cleanup());
    servers.setHealth('frontend', 200);
    servers.setHealth('backend', 200);
    const app = appIn(sim, servers);
    app.close = async () => {
      templates.delete(key);
      await servers.close();
    };
    return scenarioOf(sim, app);
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

/** How long a test waits for an event (a loaded machine may take long to get there), and how often it looks. */
export const EVENT = { timeout: 60_000, interval: 25 };

/** Waits until the sim holds `count` calls under these `faults.hold` keys at once. */
export async function waitUntilHeld(sim: Sim, keys: string[], count: number): Promise<void> {
  await vi.waitFor(
    () => {
      const held = sim.held().filter((h) => keys.includes(h.key));
      if (held.length < count) throw new Error(`${held.length} of ${count} calls held under ${keys.join(', ')}: ${held.map((h) => `${h.tool} ${h.command}`).join(', ')}`);
    },
    EVENT,
  );
}

/** Waits until `count` calls are held under these keys, then lets them go on. */
export async function releaseWhenHeld(sim: Sim, keys: string[], count: number): Promise<void> {
  await waitUntilHeld(sim, keys, count);
  sim.release(...keys);
}
