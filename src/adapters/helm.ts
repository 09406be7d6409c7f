// The helm calls the product makes, on the exec seam: each with its arguments (tools/helm.ts),
// its timeout, and its output parsed.
import { OperationError, ToolError } from '../errors.js';
import type { CommandResult, Exec } from '../tools/exec.js';
import {
  helmHistoryArgs,
  helmListArgs,
  helmRollbackArgs,
  helmStatusArgs,
  helmTestArgs,
  helmUninstallArgs,
  helmUpgradeArgs,
  isReleaseNotFound,
  parseHelmHistory,
  parseHelmList,
  parseHelmStatus,
  parseHelmTestSuites,
  type HistoryEntry,
  type ReleaseRef,
  type ReleaseState,
  type ReleaseStatus,
  type UpgradeOptions,
} from '../tools/helm.js';

export type ReleaseScope = Omit<ReleaseRef, 'release'>;

export type Helm = ReturnType<typeof helmAdapter>;

export function helmAdapter(exec: Exec) {
  const helm = (args: readonly string[], options: Omit<Parameters<Exec>[0], 'tool' | 'args'>) => exec({ tool: 'helm', args, ...options });

  async function state(ref: ReleaseRef): Promise<ReleaseState | undefined> {
    const result = await helm(helmStatusArgs(ref), { allowFailure: true, timeoutMs: 30_000 });
    if (result.exitCode === 0) return parseHelmStatus(result.stdout);
    if (isReleaseNotFound(result.stderr)) return undefined;
    throw new ToolError(`helm could not read the status of ${ref.release}.`, result.command, result.exitCode, result.stderr.split('\n').slice(-20).join('\n'), false);
  }

  return {
    /** A read-only probe for the prerequisite checks: a failure is an answer. */
    probe: (args: readonly string[], timeoutMs: number) => helm(args, { allowFailure: true, timeoutMs }),

    /**
     * Each named release that exists, by name (absent when Helm has none). `helm status` gives
     * its state and values but no chart (Helm 3 and 4 strip it); `helm list` gives the chart of
     * all of them in one call. Both are asked at once.
     */
    async releases(scope: ReleaseScope, names: readonly string[]): Promise<Map<string, ReleaseStatus>> {
      const [listed, states] = await Promise.all([
        helm(helmListArgs(scope, names), { timeoutMs: 30_000 }).then((r) => parseHelmList(r.stdout)),
        Promise.all(names.map((release) => state({ ...scope, release }))),
      ]);
      const releases = new Map<string, ReleaseStatus>();
      names.forEach((name, i) => {
        const found = states[i];
        if (found) releases.set(name, { ...found, chart: listed.find((r) => r.name === name)?.chart ?? '' });
      });
      return releases;
    },

    /** `helm upgrade --install` with the values on stdin (never in argv); the new revision, or under --dry-run none. */
    async upgrade(options: UpgradeOptions, values: Record<string, unknown>, backstopMs: number): Promise<{ dryRun: boolean; revision?: number }> {
      const result = await helm(helmUpgradeArgs(options), { input: JSON.stringify(values), inputLabel: 'values (no secrets)', mutates: true, timeoutMs: backstopMs });
      return result.dryRun ? { dryRun: true } : { dryRun: false, revision: (JSON.parse(result.stdout) as { version?: number }).version ?? 0 };
    },

    rollback: (ref: ReleaseRef & { revision?: number; timeoutMs: number }, backstopMs: number) => helm(helmRollbackArgs(ref), { mutates: true, timeoutMs: backstopMs }),

    uninstall: (ref: ReleaseRef & { timeoutMs: number }, backstopMs: number) => helm(helmUninstallArgs(ref), { mutates: true, timeoutMs: backstopMs }),

    /** The release's revisions, oldest first; undefined when the release is not installed. */
    async history(ref: ReleaseRef): Promise<HistoryEntry[] | undefined> {
      const result = await helm(helmHistoryArgs(ref), { allowFailure: true, timeoutMs: 30_000 });
      if (result.exitCode === 0) return parseHelmHistory(result.stdout);
      if (isReleaseNotFound(result.stderr)) return undefined;
      throw new OperationError(`helm history ${ref.release} failed.`, [`command: ${result.command}`, ...result.stderr.trim().split('\n').slice(-5)], 'Helm could not read the release history: check that the cluster answers (`todo-deploy status`), then try again.');
    },

    /** The chart's test hooks; a failure is an answer (the result and the test pods it names). */
    async test(ref: ReleaseRef & { timeoutMs: number }): Promise<{ result: CommandResult; suites: Array<{ name: string; phase: string }> }> {
      const result = await helm(helmTestArgs(ref), { mutates: true, allowFailure: true, timeoutMs: ref.timeoutMs + 30_000 });
      return { result, suites: parseHelmTestSuites(result.stdout) };
    },
  };
}
