// values.schema.json, enforced by helm itself: a bad values file (a user's valuesFile, or a
// CLI bug) must stop `helm template`, `helm lint` — and so `helm upgrade` — with helm's own
// message naming the key, on both majors. Helm 3.17 (gojsonschema) and Helm 4 (santhosh-tekuri
// jsonschema) word the messages differently; each row holds both wordings.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Chart, chartDir, helmMajors, runHelm, type Service } from '../support/helm.js';
import { tempDir } from '../support/temp.js';

interface BadValues {
  name: string;
  values: string;
  helm3: string;
  helm4: string;
  only?: Chart;
}

const cases: BadValues[] = [
  {
    name: 'an unknown top-level key (a typo of replicaCount)',
    values: 'replicas: 3',
    helm3: '(root): Additional property replicas is not allowed',
    helm4: "at '': additional properties 'replicas' not allowed",
  },
  {
    name: 'replicaCount as a string',
    values: 'replicaCount: two',
    helm3: 'replicaCount: Invalid type. Expected: integer, given: string',
    helm4: "at '/replicaCount': got string, want integer",
  },
  {
    name: 'a negative replicaCount',
    values: 'replicaCount: -1',
    helm3: 'replicaCount: Must be greater than or equal to 0',
    helm4: "at '/replicaCount': minimum: got -1, want 0",
  },
  {
    name: 'an unknown key under image',
    values: 'image: { name: todo-frontend }',
    helm3: 'image: Additional property name is not allowed',
    helm4: "at '/image': additional properties 'name' not allowed",
  },
  {
    name: 'an image tag that is a number',
    values: 'image: { tag: 123 }',
    helm3: 'image.tag: Invalid type. Expected: string, given: integer',
    helm4: "at '/image/tag': got number, want string",
  },
  {
    name: 'an unknown pull policy',
    values: 'image: { pullPolicy: Sometimes }',
    helm3: 'image.pullPolicy: image.pullPolicy must be one of the following: "IfNotPresent", "Never", "Always"',
    helm4: "at '/image/pullPolicy': value must be one of 'IfNotPresent', 'Never', 'Always'",
  },
  {
    name: 'an unknown Service type',
    values: 'service: { type: Ingress }',
    helm3: 'service.type: service.type must be one of the following: "NodePort", "ClusterIP", "LoadBalancer"',
    helm4: "at '/service/type': value must be one of 'NodePort', 'ClusterIP', 'LoadBalancer'",
  },
  {
    name: 'a nodePort outside the NodePort range',
    values: 'service: { nodePort: 80 }',
    helm3: 'service.nodePort: Must be greater than or equal to 30000',
    helm4: "at '/service/nodePort': minimum: got 80, want 30,000",
  },
  {
    name: 'a secret checksum that is a number',
    values: 'secretChecksum: 123',
    helm3: 'secretChecksum: Invalid type. Expected: string, given: integer',
    helm4: "at '/secretChecksum': got number, want string",
  },
  {
    name: 'a Secret name that is not a DNS name',
    values: 'secretName: Bad_Name',
    helm3: "secretName: Does not match pattern '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'",
    helm4: "at '/secretName': 'Bad_Name' does not match pattern",
  },
  {
    name: 'a health path without its leading slash',
    values: 'healthPath: api/health',
    helm3: "healthPath: Does not match pattern '^/'",
    helm4: "at '/healthPath': 'api/health' does not match pattern '^/'",
  },
  {
    name: 'a probe period written as a duration',
    values: 'probes: { liveness: { periodSeconds: "10s" } }',
    helm3: 'probes.liveness.periodSeconds: Invalid type. Expected: integer, given: string',
    helm4: "at '/probes/liveness/periodSeconds': got string, want integer",
  },
  {
    name: 'a memory limit that is not a quantity',
    values: 'resources: { limits: { memory: lots } }',
    helm3: 'resources.limits.memory: Does not match pattern',
    helm4: "at '/resources/limits/memory': 'lots' does not match pattern",
  },
  {
    name: 'a backend URL without a scheme',
    values: 'backendUrl: "localhost:30001"',
    helm3: "backendUrl: Does not match pattern '^(https?://.+)?$'",
    helm4: "at '/backendUrl': 'localhost:30001' does not match pattern",
    only: 'frontend',
  },
  {
    name: 'backendUrl on the backend chart, which has none',
    values: 'backendUrl: "http://localhost:30001"',
    helm3: '(root): Additional property backendUrl is not allowed',
    helm4: "at '': additional properties 'backendUrl' not allowed",
    only: 'backend',
  },
];

const dir = tempDir('todo-deploy-values-');
const valuesFile = (c: BadValues): string => {
  const file = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`);
  writeFileSync(file, `${c.values}\n`);
  return file;
};

// The database chart's own values: what todo-deploy sends it, and the keys a user could get
// wrong. Its schema is as strict as the app charts', and stricter on the restricted profile.
const databaseCases: BadValues[] = [
  {
    name: 'an unknown top-level key (the app charts\' replicaCount)',
    values: 'replicaCount: 2',
    helm3: '(root): Additional property replicaCount is not allowed',
    helm4: "at '': additional properties 'replicaCount' not allowed",
  },
  {
    name: 'a password as a value',
    values: 'auth: { password: hunter2 }',
    helm3: 'auth: Additional property password is not allowed',
    helm4: "at '/auth': additional properties 'password' not allowed",
  },
  {
    name: 'a credentials Secret name that is not a DNS name',
    values: 'auth: { secretName: Database_Credentials }',
    helm3: "auth.secretName: Does not match pattern '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$'",
    helm4: "at '/auth/secretName': 'Database_Credentials' does not match pattern",
  },
  {
    name: 'a user name that would need quoting',
    values: 'auth: { username: "todo-app" }',
    helm3: "auth.username: Does not match pattern '^[a-z_][a-z0-9_]*$'",
    helm4: "at '/auth/username': 'todo-app' does not match pattern",
  },
  {
    name: 'a volume size that is a number',
    values: 'persistence: { size: 1 }',
    helm3: 'persistence.size: Invalid type. Expected: string, given: integer',
    helm4: "at '/persistence/size': got number, want string",
  },
  {
    name: 'a volume size that is not a quantity',
    values: 'persistence: { size: big }',
    helm3: 'persistence.size: Does not match pattern',
    helm4: "at '/persistence/size': 'big' does not match pattern",
  },
  {
    name: 'an unknown key under persistence',
    values: 'persistence: { enabled: false }',
    helm3: 'persistence: Additional property enabled is not allowed',
    helm4: "at '/persistence': additional properties 'enabled' not allowed",
  },
  {
    name: 'an image tag that is a number',
    values: 'image: { tag: 17 }',
    helm3: 'image.tag: Invalid type. Expected: string, given: integer',
    helm4: "at '/image/tag': got number, want string",
  },
  {
    name: 'a Service type (the database is ClusterIP only)',
    values: 'service: { type: NodePort }',
    helm3: 'service: Additional property type is not allowed',
    helm4: "at '/service': additional properties 'type' not allowed",
  },
  {
    name: 'runAsNonRoot turned off',
    values: 'podSecurityContext: { runAsNonRoot: false }',
    helm3: 'podSecurityContext.runAsNonRoot: podSecurityContext.runAsNonRoot does not match: true',
    helm4: "at '/podSecurityContext/runAsNonRoot': value must be true",
  },
  {
    name: 'runAsUser removed',
    values: 'podSecurityContext: { runAsUser: null }',
    helm3: 'podSecurityContext: runAsUser is required',
    helm4: "at '/podSecurityContext': missing property 'runAsUser'",
  },
  {
    name: 'an Unconfined seccomp profile',
    values: 'podSecurityContext: { seccompProfile: { type: Unconfined } }',
    helm3: 'podSecurityContext.seccompProfile.type: podSecurityContext.seccompProfile.type must be one of the following: "RuntimeDefault", "Localhost"',
    helm4: "at '/podSecurityContext/seccompProfile/type': value must be one of 'RuntimeDefault', 'Localhost'",
  },
  {
    name: 'privilege escalation allowed',
    values: 'securityContext: { allowPrivilegeEscalation: true }',
    helm3: 'securityContext.allowPrivilegeEscalation: securityContext.allowPrivilegeEscalation does not match: false',
    helm4: "at '/securityContext/allowPrivilegeEscalation': value must be false",
  },
  {
    name: 'capabilities that do not drop ALL',
    values: 'securityContext: { capabilities: { drop: [NET_RAW] } }',
    helm3: 'securityContext.capabilities.drop: At least one of the items must match',
    helm4: "at '/securityContext/capabilities/drop': no items match contains schema",
  },
  {
    name: 'a capability added',
    values: 'securityContext: { capabilities: { add: [CHOWN] } }',
    helm3: 'securityContext.capabilities: Additional property add is not allowed',
    helm4: "at '/securityContext/capabilities': additional properties 'add' not allowed",
  },
  {
    name: 'a privileged container',
    values: 'securityContext: { privileged: true }',
    helm3: 'securityContext: Additional property privileged is not allowed',
    helm4: "at '/securityContext': additional properties 'privileged' not allowed",
  },
  {
    name: 'a writable dir named like the claim',
    values: 'writableDirs: { data: { mountPath: /data } }',
    helm3: 'writableDirs: Property name of "data" does not match',
    helm4: "invalid propertyName 'data'",
  },
];

const rows = [
  ...(['frontend', 'backend'] as Service[]).flatMap((service) =>
    cases.filter((c) => !c.only || c.only === service).map((c) => [service, c.name, c] as const),
  ),
  ...databaseCases.map((c) => ['database', c.name, c] as const),
];

describe.each(helmMajors)('values.schema.json with %s', (major) => {
  it.each(rows)('%s rejects %s', (service, _name, c) => {
    const file = valuesFile(c);
    const expected = major === 'helm3' ? c.helm3 : c.helm4;
    const template = runHelm(major, ['template', service, chartDir(service), '-f', file]);
    expect(template.status).toBe(1);
    expect(template.stderr).toContain("values don't meet the specifications of the schema(s)");
    expect(template.stderr).toContain(expected);
    expect(template.stdout).toBe('');

    const lint = runHelm(major, ['lint', '--strict', chartDir(service), '-f', file]);
    expect(lint.status).toBe(1);
    expect(lint.output).toContain(expected);
    expect(lint.output).toContain('1 chart(s) linted, 1 chart(s) failed');
  });

  it.each(['frontend', 'backend', 'database'] as Chart[])('%s accepts its own defaults restated in full', (service) => {
    // A values file that sets every key to its default must pass: the schema describes the
    // chart's real values, not a subset.
    const show = runHelm(major, ['show', 'values', chartDir(service)]);
    expect(show.status).toBe(0);
    const file = join(dir, `${service}-defaults.yaml`);
    writeFileSync(file, show.stdout);
    const r = runHelm(major, ['lint', '--strict', chartDir(service), '-f', file]);
    expect(r.output).toContain('0 chart(s) failed');
  });

  it('the database chart accepts what todo-deploy sends it, and only needs that', () => {
    const file = join(dir, 'database-cli.yaml');
    writeFileSync(file, 'image: { repository: postgres, tag: "17.6-bookworm" }\npersistence: { size: 2Gi }\nauth: { secretName: todo-database-credentials }\n');
    const r = runHelm(major, ['lint', '--strict', chartDir('database'), '-f', file]);
    expect(r.output).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.status).toBe(0);
  });
});
