import { parseVersion, type Version } from './version.js';

// Both majors print "v3.17.2" / "v4.1.4" for this template.
export const helmVersionArgs = ['version', '--template', '{{.Version}}'];

export function parseHelmVersion(stdout: string): Version | undefined {
  return parseVersion(stdout);
}

export type HelmMajor = 3 | 4;

export interface ReleaseRef {
  release: string;
  namespace: string;
  kubeContext: string;
}

const scope = (r: Omit<ReleaseRef, 'release'>) => ['--namespace', r.namespace, '--kube-context', r.kubeContext];
const seconds = (ms: number) => `${Math.ceil(ms / 1000)}s`;

export interface UpgradeOptions extends ReleaseRef {
  chart: string;
  helmMajor: HelmMajor;
  timeoutMs: number;
  /** The user's own values files, applied over the tool's values (read from stdin). */
  valuesFiles: string[];
}

/** `helm upgrade --install`, values from stdin, waiting, and rolled back automatically on failure. */
export function helmUpgradeArgs(o: UpgradeOptions): string[] {
  return [
    'upgrade', '--install', o.release, o.chart,
    ...scope(o),
    // A bare --wait works on both majors (Helm 4 reads it as the watcher strategy).
    '--wait',
    '--timeout', seconds(o.timeoutMs),
    // Helm 4 deprecates --atomic (it warns) in favour of --rollback-on-failure, which Helm 3 lacks.
    o.helmMajor === 3 ? '--atomic' : '--rollback-on-failure',
    // Values arrive on stdin, so nothing of them lands in argv.
    '--values', '-',
    ...o.valuesFiles.flatMap((file) => ['--values', file]),
    '--output', 'json',
  ];
}

export const helmStatusArgs = (r: ReleaseRef) => ['status', r.release, ...scope(r), '--output', 'json'];

/** What `helm status -o json` says of a release. It prints no chart: helm's status command strips it (`rel.Chart = nil`) on Helm 3 and 4 alike. */
export interface ReleaseState {
  status: string;
  revision: number;
  /** The values the user (we) supplied; may hold anything the user put in a values file: never log it. */
  config: Record<string, unknown>;
  /** When this revision was deployed (RFC 3339), when Helm says. */
  lastDeployed?: string;
}

export interface ReleaseStatus extends ReleaseState {
  /** `name-version`, from `helm list` (empty when it did not list the release). */
  chart: string;
}

export function parseHelmStatus(stdout: string): ReleaseState {
  const release = JSON.parse(stdout) as {
    version?: number;
    info?: { status?: string; last_deployed?: string };
    config?: Record<string, unknown> | null;
  };
  return {
    status: release.info?.status ?? 'unknown',
    revision: release.version ?? 0,
    config: release.config ?? {},
    ...(release.info?.last_deployed && { lastDeployed: release.info.last_deployed }),
  };
}

/**
 * The named releases of a namespace at their latest revision, with the chart each runs. By
 * default Helm 3 lists only deployed and failed releases and Helm 4 all of them, and Helm 4 has
 * no --all: these state flags mean the same on both and include the pending ones.
 */
export function helmListArgs(r: Omit<ReleaseRef, 'release'>, releases: readonly string[]): string[] {
  const names = releases.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return ['list', ...scope(r), '--filter', `^(${names})$`, '--deployed', '--failed', '--pending', '--uninstalling', '--output', 'json'];
}

export interface ListedRelease {
  name: string;
  revision: number;
  status: string;
  /** `name-version`. */
  chart: string;
}

/** `helm list -o json` (the revision is a string there, unlike in `helm history`). */
export function parseHelmList(stdout: string): ListedRelease[] {
  const rows = JSON.parse(stdout) as Array<{ name?: string; revision?: string | number; status?: string; chart?: string }> | null;
  return (rows ?? []).map((r) => ({ name: r.name ?? '', revision: Number(r.revision ?? 0), status: r.status ?? 'unknown', chart: r.chart ?? '' }));
}

/** Helm's way of saying there is no such release (exit 1). */
export const isReleaseNotFound = (stderr: string) => /release: not found/.test(stderr);

export function helmRollbackArgs(r: ReleaseRef & { revision?: number; timeoutMs: number }): string[] {
  return ['rollback', r.release, ...(r.revision ? [String(r.revision)] : []), ...scope(r), '--wait', '--timeout', seconds(r.timeoutMs)];
}

export function helmUninstallArgs(r: ReleaseRef & { timeoutMs: number }): string[] {
  // Helm 4's default wait strategy makes uninstall return before deletion; --wait works on both.
  return ['uninstall', r.release, ...scope(r), '--wait', '--timeout', seconds(r.timeoutMs)];
}

export const helmHistoryArgs = (r: ReleaseRef) => ['history', r.release, ...scope(r), '--output', 'json'];

export interface HistoryEntry {
  revision: number;
  status: string;
  chart: string;
  appVersion: string;
  updated: string;
  description: string;
}

/** `helm history -o json`, oldest first (Helm 4 adds rollback_revision, which is not needed here). */
export function parseHelmHistory(stdout: string): HistoryEntry[] {
  const rows = JSON.parse(stdout) as Array<{ revision?: number; status?: string; chart?: string; app_version?: string; updated?: string; description?: string }> | null;
  return (rows ?? [])
    .map((r) => ({
      revision: r.revision ?? 0,
      status: r.status ?? 'unknown',
      chart: r.chart ?? '',
      appVersion: r.app_version ?? '',
      updated: r.updated ?? '',
      description: r.description ?? '',
    }))
    .sort((a, b) => a.revision - b.revision);
}

/**
 * Runs the chart's `helm.sh/hook: test` pods. No --logs: Helm reads the logs after deleting a
 * passing pod with hook-succeeded and then fails (helm/helm#9098); a failed pod stays, and its
 * logs are read with kubectl.
 */
export function helmTestArgs(r: ReleaseRef & { timeoutMs: number }): string[] {
  return ['test', r.release, ...scope(r), '--timeout', seconds(r.timeoutMs)];
}

/** The test suites in `helm test`'s table (the same on both majors), with their phase. */
export function parseHelmTestSuites(stdout: string): Array<{ name: string; phase: string }> {
  return [...stdout.matchAll(/^TEST SUITE:\s+(\S+)(?:\n(?!TEST SUITE:).*)*?\nPhase:\s+(\S+)/gm)].map((m) => ({ name: m[1]!, phase: m[2]! }));
}
