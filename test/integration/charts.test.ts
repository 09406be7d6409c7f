// The shipped Helm charts, rendered and linted by the real Helm 3 and Helm 4 binaries
// offline. These assert the contract todo-deploy and its users rely on: object names, the
// labels pods are selected by, the spec's defaults, how secrets reach the pods, and the values
// the CLI sends on stdin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chartDir,
  findManifest,
  helmMajors,
  isHelmTest,
  type Manifest,
  renderChart,
  repoRoot,
  runHelm,
  type Service,
} from '../support/helm.js';
import { schemaErrors } from '../support/k8s-schema.js';

const services: Service[] = ['frontend', 'backend'];
const overrideFile = (service: Service): string => join(repoRoot, 'test', 'fixtures', 'values', `${service}-override.yaml`);

// The app table of SPEC.md.
const spec = {
  frontend: {
    image: 'todo-frontend',
    replicas: 2,
    port: 3000,
    nodePort: 30000,
    limits: { cpu: '500m', memory: '512Mi' },
    liveness: { initialDelaySeconds: 10, periodSeconds: 10 },
    readiness: { initialDelaySeconds: 5, periodSeconds: 5 },
    secretName: 'frontend-secrets',
    secretEnv: { BETTER_AUTH_SECRET: 'auth-secret' },
    writable: ['/app/.next/cache', '/tmp'],
  },
  backend: {
    image: 'todo-backend',
    replicas: 1,
    port: 8000,
    nodePort: 30001,
    limits: { cpu: '1000m', memory: '1Gi' },
    liveness: { initialDelaySeconds: 15, periodSeconds: 10 },
    readiness: { initialDelaySeconds: 10, periodSeconds: 5 },
    secretName: 'backend-secrets',
    secretEnv: {
      BETTER_AUTH_SECRET: 'auth-secret',
      BETTER_AUTH_URL: 'auth-url',
      DATABASE_URL: 'database-url',
      OPENAI_API_KEY: 'openai-api-key',
    },
    writable: ['/tmp'],
  },
} as const;

// What the CLI sends on stdin (the values contract in docs/charts-and-dockerfiles.md).
const cliValues = (service: Service): string =>
  [
    `image: { repository: todo-${service}, tag: "0123456789ab", pullPolicy: IfNotPresent }`,
    `replicaCount: ${spec[service].replicas}`,
    `service: { type: NodePort, port: ${spec[service].port}, nodePort: ${spec[service].nodePort} }`,
    `secretName: ${service}-secrets`,
    'secretChecksum: "c0ffee"',
    ...(service === 'frontend' ? ['backendUrl: "http://localhost:30001"'] : []),
    'healthPath: /api/health',
  ].join('\n');

const deployment = (ms: Manifest[]): Manifest => findManifest(ms.filter((m) => !isHelmTest(m)), 'Deployment');
const appContainer = (ms: Manifest[], service: Service): Manifest => {
  const containers: Manifest[] = deployment(ms).spec.template.spec.containers;
  const c = containers.find((x) => x.name === service);
  if (!c) throw new Error(`no container named ${service}`);
  return c;
};
const envOf = (container: Manifest): Map<string, Manifest> => new Map((container.env as Manifest[]).map((e) => [e.name, e]));
const testPod = (ms: Manifest[]): Manifest => {
  const pods = ms.filter(isHelmTest);
  expect(pods).toHaveLength(1);
  return pods[0]!;
};

describe.each(helmMajors)('charts with %s', (major) => {
  describe.each(services)('%s', (service) => {
    let defaults: Manifest[];
    let overridden: Manifest[];
    beforeAll(() => {
      defaults = renderChart(major, service);
      overridden = renderChart(major, service, { values: readFileSync(overrideFile(service), 'utf8') });
    });

    it('passes helm lint --strict, with defaults and with the override file', () => {
      for (const args of [[], ['-f', overrideFile(service)]]) {
        const r = runHelm(major, ['lint', '--strict', chartDir(service), ...args]);
        expect(r.output).toContain('1 chart(s) linted, 0 chart(s) failed');
        expect(r.status).toBe(0);
      }
    });

    it('renders only objects that validate against the Kubernetes API schema', () => {
      for (const ms of [defaults, overridden]) {
        expect(ms.map((m) => m.kind).sort()).toEqual(
          expect.arrayContaining(['Deployment', 'Pod', 'Service', 'ServiceAccount']),
        );
        for (const m of ms) expect(schemaErrors(m), `${m.kind} ${m.metadata?.name}`).toEqual([]);
      }
    });

    it('names the Deployment and Service after the release, the container after the chart', () => {
      expect(deployment(defaults).metadata.name).toBe(service);
      expect(findManifest(defaults, 'Service').metadata.name).toBe(service);
      expect(appContainer(defaults, service).name).toBe(service);
      // A release name that does not contain the chart's name gets it appended.
      const other = renderChart(major, service, { release: 'todo' });
      expect(deployment(other).metadata.name).toBe(`todo-${service}`);
      expect(findManifest(other, 'Service').metadata.name).toBe(`todo-${service}`);
      const containing = renderChart(major, service, { release: `my-${service}-prod` });
      expect(deployment(containing).metadata.name).toBe(`my-${service}-prod`);
    });

    it('labels pods with the instance and name the CLI selects by, and selects exactly them', () => {
      const ms = renderChart(major, service, { release: 'rel1' });
      const d = deployment(ms);
      const podLabels = d.spec.template.metadata.labels;
      expect(podLabels).toMatchObject({
        'app.kubernetes.io/instance': 'rel1',
        'app.kubernetes.io/name': service,
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': `${service}-0.1.0`,
      });
      const selector = { 'app.kubernetes.io/instance': 'rel1', 'app.kubernetes.io/name': service };
      expect(d.spec.selector.matchLabels).toEqual(selector);
      expect(findManifest(ms, 'Service').spec.selector).toEqual(selector);
      for (const m of ms) expect(m.metadata.labels['helm.sh/chart']).toBe(`${service}-0.1.0`);
    });

    it('has the spec defaults: replicas, ports, NodePort, limits, probes, pull policy', () => {
      const s = spec[service];
      const d = deployment(defaults);
      const c = appContainer(defaults, service);
      expect(d.spec.replicas).toBe(s.replicas);
      expect(c.image).toBe(`${s.image}:0.1.0`);
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.ports).toEqual([{ name: 'http', containerPort: s.port, protocol: 'TCP' }]);
      const svc = findManifest(defaults, 'Service');
      expect(svc.spec.type).toBe('NodePort');
      expect(svc.spec.ports).toEqual([{ name: 'http', port: s.port, targetPort: 'http', protocol: 'TCP', nodePort: s.nodePort }]);
      expect(c.resources.limits).toEqual(s.limits);
      expect(c.resources.requests).toBeDefined();
      expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/api/health', port: 'http' }, ...s.liveness });
      expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/api/health', port: 'http' }, ...s.readiness });
      expect(c.startupProbe).toMatchObject({ httpGet: { path: '/api/health', port: 'http' } });
    });

    it('takes the values the CLI sends on stdin', () => {
      const ms = renderChart(major, service, { values: cliValues(service) });
      const c = appContainer(ms, service);
      expect(c.image).toBe(`todo-${service}:0123456789ab`);
      expect(deployment(ms).spec.template.metadata.annotations).toEqual({ 'checksum/secret': 'c0ffee' });
      expect(findManifest(ms, 'Service').spec.ports[0].nodePort).toBe(spec[service].nodePort);
    });

    it('reads every secret from the configured Secret by secretKeyRef, never as a value', () => {
      for (const [ms, secretName] of [
        [defaults, spec[service].secretName],
        [renderChart(major, service, { values: 'secretName: other-secrets' }), 'other-secrets'],
      ] as const) {
        const env = envOf(appContainer(ms, service));
        for (const [name, key] of Object.entries(spec[service].secretEnv)) {
          expect(env.get(name), name).toEqual({ name, valueFrom: { secretKeyRef: { name: secretName, key } } });
        }
        const fromSecrets = [...env.values()].filter((e) => e.valueFrom?.secretKeyRef);
        expect(fromSecrets.map((e) => e.name).sort()).toEqual(Object.keys(spec[service].secretEnv).sort());
      }
    });

    it('rolls the pods when the secret checksum changes, and only then', () => {
      const template = (checksum: string): string =>
        JSON.stringify(deployment(renderChart(major, service, { values: `secretChecksum: "${checksum}"` })).spec.template);
      expect(template('aaa')).toBe(template('aaa'));
      expect(template('aaa')).not.toBe(template('bbb'));
      expect(deployment(defaults).spec.template.metadata.annotations).toBeUndefined();
    });

    it('mounts emptyDir volumes exactly where the app writes', () => {
      const c = appContainer(defaults, service);
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
      expect((c.volumeMounts as Manifest[]).map((m) => m.mountPath).sort()).toEqual([...spec[service].writable]);
      for (const v of deployment(defaults).spec.template.spec.volumes) expect(Object.keys(v).sort()).toEqual(['emptyDir', 'name']);
    });

    it('runs pods under their own ServiceAccount without a token', () => {
      const sa = findManifest(defaults, 'ServiceAccount');
      expect(sa.automountServiceAccountToken).toBe(false);
      const podSpec = deployment(defaults).spec.template.spec;
      expect(podSpec.serviceAccountName).toBe(sa.metadata.name);
      expect(podSpec.automountServiceAccountToken).toBe(false);
      const off = renderChart(major, service, { values: 'serviceAccount: { create: false }' });
      expect(off.some((m) => m.kind === 'ServiceAccount')).toBe(false);
      expect(deployment(off).spec.template.spec.serviceAccountName).toBe('default');
    });

    it('has a PodDisruptionBudget exactly when there is more than one replica', () => {
      for (const replicas of [1, 2, 3]) {
        const ms = renderChart(major, service, { values: `replicaCount: ${replicas}` });
        const pdbs = ms.filter((m) => m.kind === 'PodDisruptionBudget');
        expect(pdbs, `replicaCount ${replicas}`).toHaveLength(replicas > 1 ? 1 : 0);
        if (replicas > 1) expect(pdbs[0]!.spec.selector.matchLabels).toEqual(deployment(ms).spec.selector.matchLabels);
      }
    });

    it('makes the Service type configurable, with a nodePort only where one exists', () => {
      const clusterIp = findManifest(renderChart(major, service, { values: 'service: { type: ClusterIP }' }), 'Service');
      expect(clusterIp.spec.type).toBe('ClusterIP');
      expect(clusterIp.spec.ports[0].nodePort).toBeUndefined();
      const lb = findManifest(renderChart(major, service, { values: 'service: { type: LoadBalancer, nodePort: 31000 }' }), 'Service');
      expect(lb.spec.ports[0].nodePort).toBe(31000);
      const picked = findManifest(renderChart(major, service, { values: 'service: { nodePort: null }' }), 'Service');
      expect(picked.spec.type).toBe('NodePort');
      expect(picked.spec.ports[0].nodePort).toBeUndefined();
    });

    it('has a helm test hook that asks the Service for the health endpoint, outside the app pods', () => {
      const pod = testPod(defaults);
      expect(pod.kind).toBe('Pod');
      expect(pod.spec.restartPolicy).toBe('Never');
      const [container] = pod.spec.containers as Manifest[];
      expect(container!.image).toBe(appContainer(defaults, service).image);
      expect(envOf(container!).get('HEALTH_URL')?.value).toBe(`http://${service}:${spec[service].port}/api/health`);
      expect(container!.command.join(' ')).toContain('HEALTH_URL');
      // The CLI selects app pods by instance label; the Service selects by name + instance.
      expect(pod.metadata.labels['app.kubernetes.io/instance']).toBeUndefined();
      const custom = testPod(renderChart(major, service, { values: 'service: { port: 9090 }\nhealthPath: /livez' }));
      expect(envOf(custom.spec.containers[0]).get('HEALTH_URL')?.value).toBe(`http://${service}:9090/livez`);
    });

    it('applies the representative override file', () => {
      const c = appContainer(overridden, service);
      expect(c.image).toMatch(/^registry\.example\.com\/todo\/[a-z]+:[0-9a-f]{12}$/);
      expect(deployment(overridden).spec.template.metadata.annotations['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
      for (const e of envOf(c).values()) {
        if (e.valueFrom?.secretKeyRef) expect(e.valueFrom.secretKeyRef.name).toBe(`todo-${service}-secrets`);
      }
    });

    it('refuses clusters older than its kubeVersion constraint', () => {
      const old = runHelm(major, ['template', service, chartDir(service), '--kube-version', '1.24.0']);
      expect(old.status).toBe(1);
      expect(old.stderr).toContain('chart requires kubeVersion: >=1.25.0-0');
      expect(() => renderChart(major, service, { extraArgs: ['--kube-version', '1.25.0'] })).not.toThrow();
    });
  });

  describe('frontend only', () => {
    it('sets HOSTNAME=0.0.0.0, PORT and NEXT_PUBLIC_BACKEND_URL as plain values', () => {
      const env = envOf(appContainer(renderChart(major, 'frontend', { values: 'backendUrl: "http://192.168.49.2:30001"' }), 'frontend'));
      expect(env.get('HOSTNAME')).toEqual({ name: 'HOSTNAME', value: '0.0.0.0' });
      expect(env.get('PORT')).toEqual({ name: 'PORT', value: '3000' });
      expect(env.get('NEXT_PUBLIC_BACKEND_URL')).toEqual({ name: 'NEXT_PUBLIC_BACKEND_URL', value: 'http://192.168.49.2:30001' });
    });

    it('moves the container port, probes and PORT together', () => {
      const c = appContainer(renderChart(major, 'frontend', { values: 'containerPort: 8080' }), 'frontend');
      expect(c.ports[0].containerPort).toBe(8080);
      expect(envOf(c).get('PORT')?.value).toBe('8080');
      expect(c.livenessProbe.httpGet.port).toBe('http');
    });
  });

  describe('backend only', () => {
    it('tells uvicorn its port through UVICORN_PORT', () => {
      const c = appContainer(renderChart(major, 'backend', { values: 'containerPort: 9000' }), 'backend');
      expect(c.ports[0].containerPort).toBe(9000);
      expect(envOf(c).get('UVICORN_PORT')?.value).toBe('9000');
    });
  });
});

// NOTES.txt is rendered only by install/upgrade. Helm 4's `install --dry-run=client` works
// offline; Helm 3's still contacts a cluster, so the notes are checked on Helm 4 alone.
describe('NOTES.txt (helm4)', () => {
  const notes = (service: Service, values = ''): string => {
    const r = runHelm('helm4', ['install', service, chartDir(service), '--namespace', 'todo', '--dry-run=client', '-f', '-'], values);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.slice(r.stdout.indexOf('NOTES:'));
  };

  it.each([
    ['frontend', 'the UI', 'http://<node-address>:30000'],
    ['backend', 'the API docs', 'http://<node-address>:30001/docs'],
  ] as const)('%s prints the NodePort URL for %s and the minikube command that gives it', (service, _what, url) => {
    const text = notes(service);
    expect(text).toContain(url);
    expect(text).toContain(`minikube service ${service} -n todo --url`);
    expect(text).toContain(`helm test ${service} -n todo`);
  });

  it.each(['frontend', 'backend'] as const)('%s prints a port-forward for a ClusterIP Service', (service) => {
    const text = notes(service, 'service: { type: ClusterIP, port: 8080 }');
    expect(text).toContain(`kubectl port-forward service/${service} 8080:8080 -n todo`);
    expect(text).toContain('http://localhost:8080');
  });
});

describe('kubernetes-models validation is not a no-op', () => {
  it('rejects a Deployment with a wrong type and one missing a required field', () => {
    const broken: Manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: { selector: {}, template: { spec: { containers: [{ name: 'x', ports: [{ containerPort: 'http' }] }] } } },
    };
    expect(schemaErrors(broken).join('\n')).toMatch(/containerPort must be integer/);
    const noName: Manifest = structuredClone(broken);
    noName.spec.template.spec.containers = [{ image: 'x' }];
    expect(schemaErrors(noName).join('\n')).toMatch(/must have required property '?name/);
    expect(schemaErrors({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })[0]).toMatch(/no schema for v1\/ConfigMap/);
  });
});

// The two charts are plain copies (a user reads one chart, not a library chart); the
// templates they share must not drift apart.
describe('the charts stay in step', () => {
  it.each(['_helpers.tpl', 'service.yaml', 'serviceaccount.yaml', 'pdb.yaml'])('templates/%s differs only in the chart name', (file) => {
    const read = (service: Service): string => readFileSync(join(chartDir(service), 'templates', file), 'utf8');
    expect(read('backend').replaceAll('backend', 'frontend')).toBe(read('frontend'));
  });

  it('values.schema.json differs only in the frontend-only backendUrl', () => {
    const schema = (service: Service): Manifest => JSON.parse(readFileSync(join(chartDir(service), 'values.schema.json'), 'utf8'));
    const frontend = schema('frontend');
    const backend = schema('backend');
    delete frontend.properties.backendUrl;
    delete frontend.title;
    delete backend.title;
    expect(backend).toEqual(frontend);
  });
});
