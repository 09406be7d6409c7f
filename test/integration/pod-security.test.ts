// Every pod the charts can create — the app pods, the database pod and the helm test pods —
// against the restricted Pod Security Standard and issue #3's hardening, rendered by both Helm
// majors. The mutation table proves the checker reads every rule: each mutation breaks one
// rule in the real render, and each must make the checker fail on every pod.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Chart, helmMajors, type Manifest, podSpecsOf, renderChart, repoRoot, type Service } from '../support/helm.js';
import { allowedMutations, allowedPod, mutations } from '../support/pod-security-mutations.js';
import { type PodRules, podViolations } from '../support/pod-security.js';

interface RenderedPod {
  label: string;
  spec: Manifest;
  annotations: Manifest;
  rules: PodRules;
}

// The database runs as the official postgres image's own user, and writes to its claim "data"
// at the image's data directory, and nowhere else outside emptyDirs.
const databaseRules: PodRules = { uid: 999, claimMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }] };
// What todo-deploy sends the database chart on stdin.
const databaseCliValues = [
  'image: { repository: postgres, tag: "17.6-bookworm" }',
  'persistence: { size: 2Gi }',
  'auth: { secretName: todo-database-credentials }',
].join('\n');

function podsOf(major: (typeof helmMajors)[number]): RenderedPod[] {
  const pods: RenderedPod[] = [];
  const add = (chart: Chart, variant: string, values: string | undefined, rules: PodRules): void => {
    for (const m of renderChart(major, chart, { values })) {
      const annotations = m.kind === 'Pod' ? m.metadata.annotations ?? {} : m.spec?.template?.metadata?.annotations ?? {};
      for (const spec of podSpecsOf(m)) pods.push({ label: `${chart} ${variant} ${m.kind} ${m.metadata.name}`, spec, annotations, rules });
    }
  };
  for (const service of ['frontend', 'backend'] as Service[]) {
    const override = readFileSync(join(repoRoot, 'test', 'fixtures', 'values', `${service}-override.yaml`), 'utf8');
    add(service, 'defaults', undefined, {});
    add(service, 'override', override, {});
  }
  add('database', 'defaults', undefined, databaseRules);
  add('database', 'cli', databaseCliValues, databaseRules);
  return pods;
}

/** A mutation's expected message, for a pod whose user is not 1001. */
const forPod = (expected: RegExp, pod: RenderedPod): RegExp =>
  pod.rules.uid === undefined ? expected : new RegExp(expected.source.replace('1001', String(pod.rules.uid)));

describe.each(helmMajors)('pod security with %s', (major) => {
  let pods: RenderedPod[];
  beforeAll(() => {
    pods = podsOf(major);
  });

  it('renders app pods and helm test pods for both charts', () => {
    const apps = pods.filter((p) => !p.label.startsWith('database '));
    expect(apps.filter((p) => p.label.includes(' Deployment ')).length).toBe(4);
    expect(apps.filter((p) => p.label.includes(' Pod ')).length).toBe(4);
  });

  it('renders the database pod and its helm test pod', () => {
    const database = pods.filter((p) => p.label.startsWith('database '));
    expect(database.map((p) => p.label)).toEqual([
      'database defaults StatefulSet database',
      'database defaults Pod database-test-connection',
      'database cli StatefulSet database',
      'database cli Pod database-test-connection',
    ]);
  });

  it('every rendered pod meets the restricted profile and issue #3 hardening', () => {
    for (const pod of pods) expect(podViolations(pod.spec, pod.annotations, pod.rules), pod.label).toEqual([]);
  });

  it('the database pod sets each restricted field where the app pods do', () => {
    for (const pod of pods.filter((p) => p.label.startsWith('database '))) {
      expect(pod.spec.securityContext, pod.label).toEqual({
        runAsNonRoot: true,
        runAsUser: 999,
        runAsGroup: 999,
        fsGroup: 999,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.spec.automountServiceAccountToken, pod.label).toBe(false);
      for (const c of pod.spec.containers as Manifest[]) {
        expect(c.securityContext, `${pod.label} ${c.name}`).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it("the database's exceptions cover its claim at its path and nothing else", () => {
    const pod = pods.find((p) => p.label === 'database defaults StatefulSet database')!;
    expect(podViolations(pod.spec, pod.annotations)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/runAsUser must be the number 1001, is 999/),
        expect.stringMatching(/writable mount \/var\/lib\/postgresql\/data must be an emptyDir/),
      ]),
    );
    const moved = structuredClone(pod.spec);
    moved.containers[0].volumeMounts.find((m: Manifest) => m.name === 'data').mountPath = '/data';
    expect(podViolations(moved, pod.annotations, pod.rules).join('\n')).toMatch(/writable mount \/data must be an emptyDir/);
  });

  it.each(mutations)('fails every pod when: %s', (_name, mutate, expected) => {
    for (const pod of pods) {
      const spec = structuredClone(pod.spec);
      mutate(spec, spec.containers[0]);
      expect(JSON.stringify(spec), `${pod.label}: the mutation changed nothing`).not.toBe(JSON.stringify(pod.spec));
      const violations = podViolations(spec, pod.annotations, pod.rules);
      expect(violations.join('\n'), pod.label).toMatch(forPod(expected, pod));
    }
  });
});

describe('the checker allows what the restricted profile allows', () => {
  it.each(allowedMutations)('%s', (_name, mutate) => {
    const spec = allowedPod();
    mutate(spec, spec.containers[0]);
    expect(podViolations(spec)).toEqual([]);
  });
});
