// The shipped Helm charts, rendered and linted by the real Helm 3 and Helm 4 binaries
// offline. These assert the contract todo-deploy and its users rely on: object names, the
// labels pods are selected by, the spec's defaults, how secrets reach the pods, and the values
// the CLI sends on stdin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  chartDir,
  findManifest,
  helmMajors,
  isHelmTest,
  type Manifest,
  podSpecsOf,
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

    it('pauses before SIGTERM so no connection is sent to a stopped server, within the grace period', () => {
      expect(appContainer(defaults, service).lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
      const grace = deployment(defaults).spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(grace).toBeGreaterThan(5);
      // Before Kubernetes 1.30 there is no sleep action: the image's sleep.
      const old = renderChart(major, service, { extraArgs: ['--kube-version', 'v1.29.0'] });
      expect(appContainer(old, service).lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
      expect(appContainer(renderChart(major, service, { values: 'shutdownDelaySeconds: 0' }), service).lifecycle).toBeUndefined();
      expect(runHelm(major, ['template', 'x', chartDir(service), '--set', 'shutdownDelaySeconds=60']).status).not.toBe(0);
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

// The in-cluster PostgreSQL, deployed as release "database" when the app has no external
// DATABASE_URL. Other code relies on these names: the StatefulSet and Service <fullname>, the
// pod <fullname>-0 with container "postgres", the claim "data" (PVC data-<fullname>-0), and the
// credentials Secret todo-deploy makes.
const databaseCliValues = [
  'image: { repository: registry.example.com/mirror/postgres, tag: "17.6-bookworm" }',
  'persistence: { size: 5Gi }',
  'auth: { secretName: todo-database-credentials }',
].join('\n');

const statefulSet = (ms: Manifest[]): Manifest => findManifest(ms, 'StatefulSet');
const postgresContainer = (ms: Manifest[]): Manifest => {
  const c = (statefulSet(ms).spec.template.spec.containers as Manifest[]).find((x) => x.name === 'postgres');
  if (!c) throw new Error('no container named postgres');
  return c;
};
/** Every string in a parsed YAML tree, with its path. */
const leaves = (node: unknown, path = ''): [string, unknown][] =>
  node !== null && typeof node === 'object'
    ? Object.entries(node).flatMap(([k, v]) => leaves(v, `${path}.${k}`))
    : [[path, node]];

describe.each(helmMajors)('the database chart with %s', (major) => {
  let defaults: Manifest[];
  let fromCli: Manifest[];
  beforeAll(() => {
    defaults = renderChart(major, 'database');
    fromCli = renderChart(major, 'database', { values: databaseCliValues });
  });

  it('passes helm lint --strict, with defaults and with what todo-deploy sends', () => {
    for (const values of [undefined, databaseCliValues]) {
      const r = runHelm(major, ['lint', '--strict', chartDir('database'), ...(values ? ['-f', '-'] : [])], values);
      expect(r.output).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.status).toBe(0);
    }
  });

  it('renders a StatefulSet, a Service, a ServiceAccount and a test Pod, all valid against the Kubernetes API schema', () => {
    for (const ms of [defaults, fromCli]) {
      expect(ms.map((m) => m.kind).sort()).toEqual(['Pod', 'Service', 'ServiceAccount', 'StatefulSet']);
      for (const m of ms) expect(schemaErrors(m), `${m.kind} ${m.metadata?.name}`).toEqual([]);
    }
  });

  it('names the StatefulSet, its governing Service and the Service after the release', () => {
    const sts = statefulSet(defaults);
    expect(sts.metadata.name).toBe('database');
    expect(sts.spec.serviceName).toBe('database');
    expect(sts.spec.replicas).toBe(1);
    expect(findManifest(defaults, 'Service').metadata.name).toBe('database');
    expect(postgresContainer(defaults).name).toBe('postgres');
    const other = renderChart(major, 'database', { release: 'todo' });
    expect(statefulSet(other).metadata.name).toBe('todo-database');
    expect(statefulSet(other).spec.serviceName).toBe('todo-database');
    expect(findManifest(other, 'Service').metadata.name).toBe('todo-database');
    expect(statefulSet(renderChart(major, 'database', { release: 'my-database-prod' })).metadata.name).toBe('my-database-prod');
  });

  it('selects its pod by name and instance, and labels it with the instance the CLI selects by', () => {
    const ms = renderChart(major, 'database', { release: 'rel1' });
    const sts = statefulSet(ms);
    const selector = { 'app.kubernetes.io/instance': 'rel1', 'app.kubernetes.io/name': 'database' };
    expect(sts.spec.selector.matchLabels).toEqual(selector);
    expect(findManifest(ms, 'Service').spec.selector).toEqual(selector);
    expect(sts.spec.template.metadata.labels).toMatchObject({ ...selector, 'helm.sh/chart': 'database-0.1.0' });
    for (const m of ms) expect(m.metadata.labels['helm.sh/chart']).toBe('database-0.1.0');
  });

  it('exposes port 5432 on a ClusterIP Service only', () => {
    const svc = findManifest(defaults, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' }]);
    expect(postgresContainer(defaults).ports).toEqual([{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }]);
  });

  it('claims one ReadWriteOnce volume "data" on the default StorageClass, with only immutable labels', () => {
    const [claim, ...more] = statefulSet(defaults).spec.volumeClaimTemplates as Manifest[];
    expect(more).toEqual([]);
    // volumeClaimTemplates cannot change after creation: a chart or image version label here
    // would make every later helm upgrade fail.
    expect(claim).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', labels: { 'app.kubernetes.io/name': 'database', 'app.kubernetes.io/instance': 'database' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    expect(statefulSet(fromCli).spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('5Gi');
    const fast = statefulSet(renderChart(major, 'database', { values: 'persistence: { storageClass: fast-ssd }' }));
    expect(fast.spec.volumeClaimTemplates[0].spec.storageClassName).toBe('fast-ssd');
    expect(statefulSet(defaults).spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  it('runs the pinned official image, or the one todo-deploy sends', () => {
    expect(postgresContainer(defaults).image).toBe('postgres:17.6-bookworm');
    expect(postgresContainer(defaults).imagePullPolicy).toBe('IfNotPresent');
    expect(postgresContainer(fromCli).image).toBe('registry.example.com/mirror/postgres:17.6-bookworm');
    const chart = parseYaml(readFileSync(join(chartDir('database'), 'Chart.yaml'), 'utf8'));
    expect(chart).toMatchObject({ name: 'database', version: '0.1.0', appVersion: '17.6', kubeVersion: '>=1.25.0-0' });
  });

  it('takes the password from the Secret by secretKeyRef and keeps PGDATA in a subdirectory of the mount', () => {
    for (const [ms, secretName] of [[defaults, 'database-credentials'], [fromCli, 'todo-database-credentials']] as const) {
      const c = postgresContainer(ms);
      expect(c.env).toEqual([
        { name: 'POSTGRES_USER', value: 'todo' },
        { name: 'POSTGRES_DB', value: 'todo' },
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: secretName, key: 'password' } } },
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
      ]);
      const data = (c.volumeMounts as Manifest[]).find((m) => m.name === 'data');
      expect(data).toEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
      const pgdata: string = envOf(c).get('PGDATA')!.value;
      expect(pgdata.startsWith(`${data!.mountPath}/`)).toBe(true);
    }
  });

  it('holds no password in any value or rendered object', () => {
    const show = runHelm(major, ['show', 'values', chartDir('database')]);
    expect(show.status).toBe(0);
    // The only password-ish values name where the password is: the Secret's key.
    const passwordish = leaves(parseYaml(show.stdout)).filter(([path]) => /pass|secret|pwd/i.test(path));
    expect(passwordish).toEqual([['.auth.secretName', 'database-credentials'], ['.auth.passwordKey', 'password']]);
    for (const m of [...defaults, ...fromCli]) {
      expect(m.kind).not.toBe('Secret');
      expect(leaves(m).filter(([path]) => /\.password$/i.test(path)), `${m.kind} ${m.metadata.name}`).toEqual([]);
      for (const spec of podSpecsOf(m)) {
        for (const c of spec.containers as Manifest[]) {
          for (const e of (c.env as Manifest[] | undefined) ?? []) {
            if (/pass/i.test(e.name)) expect(e, `${m.kind} ${c.name} ${e.name}`).toEqual({ name: e.name, valueFrom: { secretKeyRef: expect.any(Object) } });
          }
        }
      }
    }
  });

  it('probes with pg_isready over TCP: startup, readiness and liveness', () => {
    const c = postgresContainer(defaults);
    const command = ['pg_isready', '-U', 'todo', '-d', 'todo', '-h', '127.0.0.1', '-p', '5432'];
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[probe].exec.command, probe).toEqual(command);
    // The startup probe gives a first initdb minutes, liveness a minute, before a restart.
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(120);
    expect(c.livenessProbe.periodSeconds * c.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(60);
    const other = postgresContainer(renderChart(major, 'database', { values: 'auth: { username: app, database: tasks }' }));
    expect(other.readinessProbe.exec.command).toEqual(['pg_isready', '-U', 'app', '-d', 'tasks', '-h', '127.0.0.1', '-p', '5432']);
    expect(envOf(other).get('POSTGRES_USER')?.value).toBe('app');
    expect(envOf(other).get('POSTGRES_DB')?.value).toBe('tasks');
  });

  it('fits beside the app on a default Minikube, and gives a fast shutdown time to finish', () => {
    const c = postgresContainer(defaults);
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(statefulSet(defaults).spec.template.spec.terminationGracePeriodSeconds).toBe(60);
  });

  it('writes only to its claim and to emptyDirs: the socket directory, /tmp and a memory-backed /dev/shm', () => {
    const c = postgresContainer(defaults);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect((c.volumeMounts as Manifest[]).map((m) => m.mountPath).sort()).toEqual(
      ['/dev/shm', '/tmp', '/var/lib/postgresql/data', '/var/run/postgresql'],
    );
    const volumes = new Map((statefulSet(defaults).spec.template.spec.volumes as Manifest[]).map((v) => [v.name, v]));
    expect([...volumes.keys()].sort()).toEqual(['run', 'shm', 'tmp']);
    for (const v of volumes.values()) expect(Object.keys(v).sort()).toEqual(['emptyDir', 'name']);
    expect(volumes.get('shm')!.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '64Mi' });
  });

  it('runs under its own ServiceAccount without a token', () => {
    const sa = findManifest(defaults, 'ServiceAccount');
    expect(sa.automountServiceAccountToken).toBe(false);
    const podSpec = statefulSet(defaults).spec.template.spec;
    expect(podSpec.serviceAccountName).toBe(sa.metadata.name);
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it('has a helm test hook that asks the Service with pg_isready, outside the database pods', () => {
    const pod = testPod(defaults);
    const backendHook = testPod(renderChart(major, 'backend'));
    expect(pod.metadata.name).toBe('database-test-connection');
    expect(pod.metadata.annotations).toEqual(backendHook.metadata.annotations);
    expect(pod.spec.restartPolicy).toBe('Never');
    const [container, ...more] = pod.spec.containers as Manifest[];
    expect(more).toEqual([]);
    expect(container!.image).toBe(postgresContainer(defaults).image);
    expect(container!.command).toEqual(['pg_isready', '-h', 'database', '-p', '5432', '-U', 'todo', '-d', 'todo', '-t', '10']);
    expect(pod.metadata.labels['app.kubernetes.io/instance']).toBeUndefined();
    expect(testPod(fromCli).spec.containers[0].image).toBe(postgresContainer(fromCli).image);
    const other = testPod(renderChart(major, 'database', { release: 'todo', values: 'service: { port: 6543 }' }));
    expect(other.spec.containers[0].command.slice(0, 5)).toEqual(['pg_isready', '-h', 'todo-database', '-p', '6543']);
  });

  it('refuses clusters older than its kubeVersion constraint', () => {
    const old = runHelm(major, ['template', 'database', chartDir('database'), '--kube-version', '1.24.0']);
    expect(old.status).toBe(1);
    expect(old.stderr).toContain('chart requires kubeVersion: >=1.25.0-0');
    expect(() => renderChart(major, 'database', { extraArgs: ['--kube-version', '1.25.0'] })).not.toThrow();
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

describe('database NOTES.txt (helm4)', () => {
  it('prints the in-cluster address, where the password is, a port-forward and the volume kept on uninstall', () => {
    const r = runHelm('helm4', ['install', 'database', chartDir('database'), '--namespace', 'todo', '--dry-run=client']);
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout.slice(r.stdout.indexOf('NOTES:'));
    expect(text).toContain('database.todo.svc:5432');
    expect(text).toContain('Secret database-credentials (key password)');
    expect(text).toContain('kubectl port-forward service/database 5432:5432 -n todo');
    expect(text).toContain('data-database-0');
    expect(text).toContain('helm test database -n todo');
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

  it("the database chart's serviceaccount.yaml differs only in the chart name", () => {
    const read = (chart: 'backend' | 'database'): string => readFileSync(join(chartDir(chart), 'templates', 'serviceaccount.yaml'), 'utf8');
    expect(read('backend').replaceAll('backend', 'database')).toBe(read('database'));
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
