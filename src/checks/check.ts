export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  /** A failed prerequisite exits 3, a failed input (config, .env) exits 2. */
  category: 'prereq' | 'input';
  status: CheckStatus;
  detail: string;
  /** The tool's version, for checks of a tool. */
  version?: string;
  hint?: string;
  /** Each problem of a failed input, already free of secret values. */
  problems?: string[];
  warnings?: string[];
}
