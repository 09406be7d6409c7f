// The recorded readings of .env lines by python-dotenv and compose-go (record-dotenv.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The quotings recorded for each value: the three setup's writer may choose from. */
export const quotings = {
  single: (value: string) => `'${value}'`,
  double: (value: string) => `"${value}"`,
  bare: (value: string) => value,
};

export interface Readings {
  pythonDotenv: string;
  composeGo: string;
  how: string;
  values: Array<{
    value: string;
    /** `KEY=…` in each quoting; null where the reader had no KEY (a parse error). */
    lines: Array<{ line: string; python: string | null; compose: string | null; composeError?: string }>;
  }>;
}

export const readingsPath = join(import.meta.dirname, '..', 'recorded', 'dotenv', 'readings.json');

export function loadReadings(): Readings {
  return JSON.parse(readFileSync(readingsPath, 'utf8')) as Readings;
}
