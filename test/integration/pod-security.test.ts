// Every pod the charts can create — the app pods and the helm test pods — against the
// restricted Pod Security Standard and issue #3's hardening, rendered by both Helm majors.
// The mutation table proves the checker reads every rule: each mutation breaks one rule in
// the real render, and each must make the checker fail on every pod.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helmMajors, type Manifest, podSpecsOf, renderChart, repoRoot, type Service } from '../support/helm.js';
import { allowedMutations, allowedPod, mutations } from '../support/pod-security-mutations.js';
import { podViolations } from '../support/pod-security.js';

interface RenderedPod {
  label: string;
  spec: Manifest;
  annotations: Manifest;
}

function podsOf(major: (typeof helmMajors)[number]): RenderedPod[] {
  const pods: RenderedPod[] = [];
  for (const service of ['frontend', 'backend'] as Service[]) {
    const override = readFileSync(join(repoRoot, 'test', 'fixtures', 'values', `${service}-override.yaml`), 'utf8');
    for (const [variant, values] of [['defaults', undefined], ['override', override]] as const) {
      for (const m of renderChart(major, service, { values })) {
        const annotations = m.kind === 'Pod' ? m.metadata.annotations ?? {} : m.spec?.template?.metadata?.annotations ?? {};
        for (const spec of podSpecsOf(m)) pods.push({ label: `${service} ${variant} ${m.kind} ${m.metadata.name}`, spec, annotations });
      }
    }
  }
  return pods;
}

describe.each(helmMajors)('pod security with %s', (major) => {
  let pods: RenderedPod[];
  beforeAll(() => {
    pods = podsOf(major);
  });

  it('renders app pods and helm test pods for both charts', () => {
    expect(pods.filter((p) => p.label.includes(' Deployment ')).length).toBe(4);
    expect(pods.filter((p) => p.label.includes(' Pod ')).length).toBe(4);
  });

  it('every rendered pod meets the restricted profile and issue #3 hardening', () => {
    for (const pod of pods) expect(podViolations(pod.spec, pod.annotations), pod.label).toEqual([]);
  });

  it.each(mutations)('fails every pod when: %s', (_name, mutate, expected) => {
    for (const pod of pods) {
      const spec = structuredClone(pod.spec);
      mutate(spec, spec.containers[0]);
      expect(JSON.stringify(spec), `${pod.label}: the mutation changed nothing`).not.toBe(JSON.stringify(pod.spec));
      const violations = podViolations(spec, pod.annotations);
      expect(violations.join('\n'), pod.label).toMatch(expected);
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
