// Holds the simulated minikube to real minikube v1.38.1, for every output todo-deploy parses.
// The recordings (recorded/minikube/, see its README) come from minikube's source at that tag;
// each is replayed against the simulator in the equivalent scenario, and the product's parser
// must read both alike: a simulator that prints a key the real tool never prints, or lacks one
// the product reads, fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { familiarRef } from '../../src/tools/docker.js';
import { parseDockerEnv, parseMinikubeStatus, parseMinikubeVersion, parsePublishedPorts } from '../../src/tools/minikube.js';
import type { SimOptions } from '../sim/harness.js';
import { useSims } from '../sim/sim-fixture.js';
import type { ImageRecord } from '../sim/types.js';

interface Recording {
  tool: string;
  version: string;
  source: string;
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

const folder = new URL('./recorded/minikube/', import.meta.url);
const recording = (name: string): Recording => JSON.parse(readFileSync(new URL(`${name}.json`, folder), 'utf8')) as Recording;

/** Every key path with the JSON type found there, e.g. `$.valid[].Config.ExposedPorts: array`. */
function shape(value: unknown, path = '$', paths = new Set<string>()): Set<string> {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  paths.add(`${path}: ${kind}`);
  if (Array.isArray(value)) for (const item of value) shape(item, `${path}[]`, paths);
  else if (value !== null && typeof value === 'object') for (const [key, item] of Object.entries(value)) shape(item, `${path}.${key}`, paths);
  return paths;
}

/** stdout as JSON: one document, or one per line (CloudEvents); undefined for plain text. */
function parsed(stdout: string, json: Case['json']): unknown {
  if (json === 'text') return undefined;
  if (json === 'lines') return stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
  return JSON.parse(stdout) as unknown;
}

interface Case {
  /** The recording in recorded/minikube/. */
  fixture: string;
  /** The simulator's scenario equivalent to the recorded one. */
  scenario: SimOptions;
  /** What the product makes of the output. */
  answer: (stdout: string, exitCode: number) => unknown;
  json: 'document' | 'lines' | 'text';
  /** Key paths the product reads: present in both. */
  reads: string[];
  /** The simulator prints exactly the real keys (else a subset of them: never one the real tool lacks). */
  sameKeys: boolean;
  /** Values that vary between two runs, replaced before stdout is compared (else stdout is compared only through the above). */
  normalise?: (stdout: string) => string;
}

const statusAnswer = (stdout: string, exitCode: number) => parseMinikubeStatus(stdout, exitCode);
const statusReads = ['$.Host: string', '$.APIServer: string', '$.Kubelet: string'];
const same = (stdout: string) => stdout;
const image = (size: number): ImageRecord => ({ id: `sha256:${String(size).padStart(64, '0')}`, created: '2026-01-01T00:00:00Z', labels: {}, buildArgs: {}, secretIds: [], size });

const cases: Case[] = [
  { fixture: 'version', scenario: {}, answer: parseMinikubeVersion, json: 'document', reads: ['$.minikubeVersion: string'], sameKeys: true, normalise: same },
  { fixture: 'status-running', scenario: { minikube: 'running' }, answer: statusAnswer, json: 'document', reads: statusReads, sameKeys: true, normalise: same },
  { fixture: 'status-stopped', scenario: { minikube: 'stopped' }, answer: statusAnswer, json: 'document', reads: statusReads, sameKeys: true, normalise: same },
  { fixture: 'status-paused', scenario: { minikube: { profiles: { minikube: { status: 'Paused' } } } }, answer: statusAnswer, json: 'document', reads: statusReads, sameKeys: true, normalise: same },
  {
    fixture: 'status-multinode',
    scenario: { minikube: { profiles: { minikube: { nodes: 2 } } } },
    answer: statusAnswer,
    json: 'document',
    reads: ['$[].Host: string', '$[].APIServer: string', '$[].Kubelet: string'],
    sameKeys: true,
    normalise: same,
  },
  {
    fixture: 'status-profile-missing',
    scenario: { minikube: 'absent' },
    answer: statusAnswer,
    json: 'lines',
    reads: [],
    sameKeys: true,
    // Each CloudEvent has a random UUID.
    normalise: (stdout) => stdout.replace(/"id":"[0-9a-f-]{36}"/g, '"id":"<uuid>"'),
  },
  {
    fixture: 'docker-env',
    scenario: { minikube: 'running' },
    answer: (stdout) => ({ ...parseDockerEnv(stdout), DOCKER_CERT_PATH: '<home>/.minikube/certs' }),
    json: 'document',
    reads: ['$.DOCKER_HOST: string', '$.DOCKER_TLS_VERIFY: string', '$.DOCKER_CERT_PATH: string', '$.MINIKUBE_ACTIVE_DOCKERD: string'],
    sameKeys: true,
    normalise: (stdout) => stdout.replace(/"DOCKER_CERT_PATH":"[^"]*"/, '"DOCKER_CERT_PATH":"<home>/.minikube/certs"'),
  },
  {
    fixture: 'profile-list-ports',
    scenario: { minikube: { profiles: { minikube: { ports: ['127.0.0.1:30000:30000', '127.0.0.1:30001:30001'] } } } },
    answer: (stdout) => parsePublishedPorts(stdout, 'minikube'),
    json: 'document',
    reads: ['$.valid[].Name: string', '$.valid[].Config: object', '$.valid[].Config.ExposedPorts: array', '$.valid[].Config.ExposedPorts[]: string'],
    sameKeys: false,
  },
  {
    fixture: 'profile-list-no-ports',
    scenario: { minikube: 'running' },
    answer: (stdout) => parsePublishedPorts(stdout, 'minikube'),
    json: 'document',
    reads: ['$.valid[].Name: string', '$.valid[].Config: object', '$.valid[].Config.ExposedPorts: array'],
    sameKeys: false,
  },
  {
    fixture: 'profile-list-empty',
    scenario: { minikube: 'absent' },
    answer: (stdout) => parsePublishedPorts(stdout, 'minikube'),
    json: 'document',
    reads: ['$.valid: array'],
    sameKeys: true,
    normalise: same,
  },
  { fixture: 'ip', scenario: { minikube: 'running' }, answer: (stdout) => stdout.trim(), json: 'text', reads: [], sameKeys: true, normalise: same },
  {
    fixture: 'image-ls-short',
    scenario: {
      minikube: { profiles: { minikube: { containerRuntime: 'containerd' } } },
      docker: {
        images: {
          'minikube/minikube': {
            'registry.k8s.io/pause:3.10.1': image(1),
            'todo-backend:0123456789ab': image(2),
            'todo-frontend:ba9876543210': image(3),
            'registry.k8s.io/etcd:3.6.5-0': image(4),
          },
        },
      },
    },
    answer: (stdout) => stdout.split('\n').map((line) => familiarRef(line.trim())),
    json: 'text',
    reads: [],
    sameKeys: true,
    normalise: same,
  },
  {
    fixture: 'image-ls-short-empty',
    scenario: { minikube: { profiles: { minikube: { status: 'Stopped', containerRuntime: 'containerd' } } } },
    answer: (stdout) => stdout.split('\n').map((line) => familiarRef(line.trim())),
    json: 'text',
    reads: [],
    sameKeys: true,
    normalise: same,
  },
];

const sim = useSims();

describe('minikube recordings', () => {
  it('every recording is replayed here, and names minikube v1.38.1 and the source it came from', () => {
    const names = readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
    const replayed = [...cases.map((c) => c.fixture), ...notSimulated.map((c) => c.fixture)];
    expect(names.sort()).toEqual(replayed.sort());
    for (const name of names) {
      const r = recording(name);
      expect(r).toMatchObject({ tool: 'minikube', version: 'v1.38.1' });
      expect(r.source).toMatch(/^kubernetes\/minikube@v1\.38\.1 \(c93a4cb9311efc66b90d33ea03f75f2c4120e9b0\): (derived from|recorded from)/);
    }
  });
});

describe.concurrent('the simulated minikube says what minikube v1.38.1 says', () => {
  it.each(cases)('$fixture', async (c) => {
    const real = recording(c.fixture);
    const s = await sim(c.scenario);
    const simulated = await s.exec('minikube', real.argv);

    expect(simulated.exitCode).toBe(real.exitCode);
    expect(c.answer(simulated.stdout, real.exitCode)).toEqual(c.answer(real.stdout, real.exitCode));

    if (c.json !== 'text') {
      const realKeys = shape(parsed(real.stdout, c.json));
      const simKeys = shape(parsed(simulated.stdout, c.json));
      for (const key of c.reads) {
        expect(realKeys, `the real output has ${key}`).toContain(key);
        expect(simKeys, `the simulator's output has ${key}`).toContain(key);
      }
      const invented = [...simKeys].filter((key) => !realKeys.has(key));
      expect(invented, 'keys (and types) the real minikube never prints').toEqual([]);
      if (c.sameKeys) expect([...simKeys].sort()).toEqual([...realKeys].sort());
    }
    if (c.normalise) {
      expect(c.normalise(simulated.stdout)).toBe(c.normalise(real.stdout));
      expect(simulated.stderr).toBe(real.stderr);
    }
  });
});

/** Recordings of states the simulator does not model: the product's reading of them is still pinned. */
const notSimulated: Array<{ fixture: string; check: (r: Recording) => void }> = [
  {
    // The machine is gone but the profile's config is not: `null`, exit 7. `up` then starts the
    // profile, which recreates the machine.
    fixture: 'status-host-missing',
    check: (r) => expect(parseMinikubeStatus(r.stdout, r.exitCode)).toEqual({ state: 'stopped' }),
  },
  {
    // The real binary read back the config derive/main.go saved: the derived profile lists
    // (what the simulator is held to) have exactly its keys.
    fixture: 'profile-list-host-missing',
    check: (r) => {
      expect(parsePublishedPorts(r.stdout, 'minikube')).toEqual([30000, 30001]);
      expect(JSON.parse(r.stdout)).toMatchObject({ valid: [{ Name: 'minikube', Status: '' }] });
      expect([...shape(JSON.parse(recording('profile-list-ports').stdout))].sort()).toEqual([...shape(JSON.parse(r.stdout))].sort());
    },
  },
];

describe('recorded states the simulator does not model', () => {
  it.each(notSimulated)('$fixture', ({ fixture, check }) => check(recording(fixture)));
});
