// The one check model: what `doctor`'s preflight checks and the deployment checks of `verify`,
// `rollback` and `up` all are, so one renderer (src/ui/checks.ts) shows any of them. Each
// command's --json document and `verify --report` keep their documented shapes: doctor's is
// these objects as they are; verify's maps them at its edge (src/deployment/report.ts).

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  id: string;
  /** What is checked: "docker daemon", "backend health endpoint". */
  title: string;
  status: CheckStatus;
  /** One line: what was seen. */
  detail: string;
  /** The checks of one group are shown under its heading (verify's `verify`, `resilience`, …); doctor's have none. */
  group?: string;
  /** Each problem of a failed input, already free of secret values: a bullet each. */
  problems?: string[];
  /** Why a check failed, shown as it is: pod diagnoses, a tool's last lines. */
  diagnosis?: string[];
  warnings?: string[];
  /** What to do: shown for a check that failed or warns. */
  hint?: string;
}

/** A check of the tools, the cluster's state or an input (todo-deploy.yaml, .env): `doctor`, and `up` before it starts. */
export interface PreflightCheck extends Check {
  /** A failed prerequisite exits 3, a failed input (config, .env) exits 2. */
  category: 'prereq' | 'input';
  /** The tool's version, for checks of a tool. */
  version?: string;
}
