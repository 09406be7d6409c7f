// .env as setup writes it, read by every reader a user's project may have: todo-deploy's own
// (Node's dotenv, run here), python-dotenv and docker compose (compose-go), whose readings of
// each tricky value in each quoting are recorded facts (npm run record:dotenv).
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { envValueQuotings, quoteEnvValue, setEnvValues } from '../../src/setup/env-text.js';
import { loadReadings } from '../contract/dotenv/readings.js';
import { trickyValues } from '../contract/dotenv/values.js';

const readings = loadReadings();

describe(`.env values read back the same by todo-deploy, python-dotenv ${readings.pythonDotenv} and compose-go ${readings.composeGo}`, () => {
  it('the recordings cover every value of the table (after a change to it: npm run record:dotenv)', () => {
    expect(readings.values.map((v) => v.value)).toEqual(trickyValues);
  });

  it.each(readings.values.map((v) => [v.value, v] as const))('%j: setup writes it in exactly the quotings all three read back as it is', (value, recorded) => {
    const agreed = recorded.lines
      .filter((line) => parse(`${line.line}\n`).KEY === value && line.python === value && line.compose === value)
      .map((line) => line.line.slice('KEY='.length));
    expect(envValueQuotings(value)).toEqual(agreed);
  });

  it('some values no quoting keeps for all three, and setup refuses them rather than write what another reader reads differently', () => {
    const refused = trickyValues.filter((value) => quoteEnvValue(value) === undefined);
    expect(refused).toEqual(["' and # and \" together", '${HOME} in braces', '${UNSET:-default} with a default']);
  });

  it('a whole .env written by setup reads back the same, value for value, in the three readers', () => {
    const writable = readings.values.filter((v) => quoteEnvValue(v.value) !== undefined);
    const text = setEnvValues('', Object.fromEntries(writable.map((v, i) => [`KEY_${i}`, v.value])));
    expect(parse(text)).toEqual(Object.fromEntries(writable.map((v, i) => [`KEY_${i}`, v.value])));
    // Each line is one whose reading by python-dotenv and compose-go was recorded as the value.
    const lines = text.match(/^KEY_\d+=(?:'[^']*'|"[^"]*"|.*)$/gm)!;
    expect(lines).toHaveLength(writable.length);
    lines.forEach((line, i) => {
      const recorded = writable[i]!.lines.find((l) => l.line === line.replace(/^KEY_\d+=/, 'KEY='));
      expect(recorded, line).toMatchObject({ python: writable[i]!.value, compose: writable[i]!.value });
    });
  });
});
