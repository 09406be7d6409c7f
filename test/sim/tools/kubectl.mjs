// kubectl 1.34. Every command that talks to the API server must name its context with
// --context (the product promises never to act on the current context): without it the call is
// refused loudly (exit 98). Client-only commands (version --client, config …, create
// --dry-run=client) need no context.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDuration } from './args.mjs';
import { resolveContext } from './cluster.mjs';
import { psqlWrites, runInPod } from './postgres.mjs';
import { portForward } from './port-forward.mjs';
import { nodesOf, splitPlatform } from './registry.mjs';
import {
  containerFrom,
  deploymentJson,
  pvcJson,
  statefulSetJson,
  statefulSetState,
  storageClassJson,
  storageClasses,
  isoSeconds,
  nextResourceVersion,
  podJson,
  podStatus,
  reconcile,
  restartDeployment,
  rolloutState,
  selectorMatches,
  serviceJson,
  uid,
} from './workloads.mjs';

export const globals = {
  context: 'value',
  'n|namespace': 'value',
  kubeconfig: 'value',
  'request-timeout': 'value',
  v: 'value',
};

export function prepare(call, args, state, spec) {
  const talks = typeof spec.cluster === 'function' ? spec.cluster(args) : Boolean(spec.cluster);
  if (talks && !args.flags.context) {
    call.unsafe('kubectl talks to the cluster without --context, so it would act on whatever context is current');
  }
}

const KINDS = {
  namespaces: { names: ['namespace', 'namespaces', 'ns'], api: 'namespaces', short: 'namespace', namespaced: false },
  secrets: { names: ['secret', 'secrets'], api: 'secrets', short: 'secret', namespaced: true },
  pods: { names: ['pod', 'pods', 'po'], api: 'pods', short: 'pod', namespaced: true },
  deployments: { names: ['deployment', 'deployments', 'deploy', 'deployment.apps', 'deployments.apps'], api: 'deployments.apps', short: 'deployment.apps', namespaced: true },
  services: { names: ['service', 'services', 'svc'], api: 'services', short: 'service', namespaced: true },
  statefulsets: { names: ['statefulset', 'statefulsets', 'sts', 'statefulset.apps', 'statefulsets.apps'], api: 'statefulsets.apps', short: 'statefulset.apps', namespaced: true },
  persistentvolumeclaims: { names: ['persistentvolumeclaim', 'persistentvolumeclaims', 'pvc'], api: 'persistentvolumeclaims', short: 'persistentvolumeclaim', namespaced: true },
  storageclasses: { names: ['storageclass', 'storageclasses', 'sc', 'storageclass.storage.k8s.io', 'storageclasses.storage.k8s.io'], api: 'storageclasses.storage.k8s.io', short: 'storageclass.storage.k8s.io', namespaced: false, readOnly: true },
  nodes: { names: ['node', 'nodes', 'no'], api: 'nodes', short: 'node', namespaced: false, readOnly: true },
  configmaps: { names: ['configmap', 'configmaps', 'cm'], api: 'configmaps', short: 'configmap', namespaced: true },
  ingresses: { names: ['ingress', 'ingresses', 'ing', 'ingress.networking.k8s.io', 'ingresses.networking.k8s.io'], api: 'ingresses.networking.k8s.io', short: 'ingress.networking.k8s.io', namespaced: true },
  ingressclasses: { names: ['ingressclass', 'ingressclasses', 'ingressclass.networking.k8s.io', 'ingressclasses.networking.k8s.io'], api: 'ingressclasses.networking.k8s.io', short: 'ingressclass.networking.k8s.io', namespaced: false, readOnly: true },
};

/** The API group of a kind, as an RBAC denial names it. */
function apiGroupOf(kind) {
  const api = KINDS[kind].api;
  return api.includes('.') ? api.slice(api.indexOf('.') + 1) : '';
}

/**
 * RBAC: `cluster.forbidden` lists resources the user may not touch ("nodes", or "<namespace>/<resource>"
 * for one namespace). The API server's message (apiserver endpoints/handlers/responsewriters
 * forbiddenMessage), as kubectl prints it: `Error from server (Forbidden): nodes is forbidden: User
 * "…" cannot list resource "nodes" in API group "" at the cluster scope`; a named object is
 * `<resource> "<name>" is forbidden: … cannot get …`, a namespaced one ends `in the namespace "<ns>"`.
 */
function deniedFor(cluster, kind, ns) {
  const resource = KINDS[kind].api.split('.')[0];
  return (cluster.forbidden ?? []).some((f) => f === resource || f === `${ns}/${resource}`);
}

function checkForbidden(call, cluster, kind, verb, ns, name) {
  const resource = KINDS[kind].api.split('.')[0];
  if (!deniedFor(cluster, kind, ns)) return;
  const user = cluster.user ?? 'kubernetes-admin';
  const scope = KINDS[kind].namespaced ? `in the namespace "${ns}"` : 'at the cluster scope';
  const subject = name ? `${resource} "${name}"` : resource;
  call.fail(1, `Error from server (Forbidden): ${subject} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${apiGroupOf(kind)}" ${scope}`);
}

/** The objects of a kind in a cluster: StorageClasses come from the cluster kind (minikube's addon), not the state. */
function objectsOf(cluster, kind, state) {
  if (kind === 'storageclasses') return storageClasses(cluster);
  if (kind === 'nodes') return Object.fromEntries(nodesOf(state, cluster).map((n) => [n.name, n]));
  if (kind === 'ingressclasses') return Object.fromEntries((cluster.ingressClasses ?? []).map((c) => [c.name, c]));
  return cluster[kind] ?? {};
}

/** A Node as the API server returns it (the fields a client reads: labels, nodeInfo, conditions, addresses). */
function nodeJson(state, cluster, name) {
  const nodes = nodesOf(state, cluster);
  const index = nodes.findIndex((n) => n.name === name);
  const node = nodes[index];
  const profile = cluster.minikubeProfile ? state.minikube.profiles[cluster.minikubeProfile] : undefined;
  const kubeletVersion = node.kubeletVersion ?? profile?.kubernetesVersion ?? state.tools.kubectl.serverVersion;
  // The recorded node (get-nodes.json) ran containerd 1.6.20: the pull texts the sim prints are that version's.
  const runtime = node.containerRuntimeVersion ?? (profile ? (profile.containerRuntime === 'docker' ? 'docker://28.4.0' : profile.containerRuntime === 'containerd' ? 'containerd://1.7.27' : 'cri-o://1.29.1') : 'containerd://1.6.20');
  const address = profile ? profile.ip.replace(/\.\d+$/, `.${2 + index}`) : `172.18.0.${2 + index}`;
  const created = isoSeconds(cluster.namespaces.default?.created ?? new Date().toISOString());
  const { variant } = splitPlatform(`${node.operatingSystem}/${node.architecture}`);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      creationTimestamp: created,
      labels: {
        'beta.kubernetes.io/arch': node.architecture,
        'beta.kubernetes.io/os': node.operatingSystem,
        'kubernetes.io/arch': node.architecture,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': node.operatingSystem,
        ...(index === 0 && { 'node-role.kubernetes.io/control-plane': '' }),
        ...(node.labels ?? {}),
      },
      name,
      uid: uid(`node/${name}`),
    },
    spec: {},
    status: {
      addresses: [
        { address, type: 'InternalIP' },
        { address: name, type: 'Hostname' },
      ],
      allocatable: { cpu: String(profile?.cpus ?? 4), 'ephemeral-storage': '102107096Ki', memory: `${(profile?.memory ?? 8192) * 1024}Ki`, pods: '110' },
      capacity: { cpu: String(profile?.cpus ?? 4), 'ephemeral-storage': '102107096Ki', memory: `${(profile?.memory ?? 8192) * 1024}Ki`, pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available', lastHeartbeatTime: created, lastTransitionTime: created },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure', lastHeartbeatTime: created, lastTransitionTime: created },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available', lastHeartbeatTime: created, lastTransitionTime: created },
        { type: 'Ready', status: node.ready === false ? 'False' : 'True', reason: node.ready === false ? 'KubeletNotReady' : 'KubeletReady', message: node.ready === false ? 'container runtime network not ready' : 'kubelet is posting ready status', lastHeartbeatTime: created, lastTransitionTime: created },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: node.architecture,
        bootID: uid(`boot/${name}`),
        containerRuntimeVersion: runtime,
        kernelVersion: '6.8.0-60-generic',
        kubeProxyVersion: '',
        kubeletVersion,
        machineID: uid(`machine/${name}`).replaceAll('-', ''),
        operatingSystem: node.operatingSystem,
        osImage: profile ? 'Buildroot 2025.02' : 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: uid(`system/${name}`),
      },
    },
  };
}

function configMapJson(cluster, key) {
  const cm = cluster.configmaps[key];
  const [namespace, name] = key.split('/');
  const metadata = { name, namespace, uid: uid(`configmap/${key}`), resourceVersion: String(cm.resourceVersion ?? 500), creationTimestamp: isoSeconds(cm.created ?? cluster.namespaces[namespace]?.created ?? new Date().toISOString()) };
  if (cm.labels && Object.keys(cm.labels).length > 0) metadata.labels = cm.labels;
  if (cm.annotations && Object.keys(cm.annotations).length > 0) metadata.annotations = cm.annotations;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: cm.data ?? {} };
}

function kindOf(call, word) {
  const kind = Object.keys(KINDS).find((k) => KINDS[k].names.includes(word.toLowerCase()));
  if (!kind) call.fail(1, `error: the server doesn't have a resource type "${word}"`);
  return kind;
}

/** "kind name…" or "kind/name…" → [{ kind, name? }]. */
function targets(call, positionals) {
  if (positionals.length === 0) call.fail(1, 'error: You must specify the type of resource to get.');
  if (positionals[0].includes('/')) {
    return positionals.map((p) => {
      const [kind, name] = p.split('/');
      return { kind: kindOf(call, kind), name };
    });
  }
  const kind = kindOf(call, positionals[0]);
  return positionals.length === 1 ? [{ kind }] : positionals.slice(1).map((name) => ({ kind, name }));
}

function hostPort(server) {
  return server.replace(/^https?:\/\//, '');
}

/**
 * Runs fn(state, cluster, ns, clusterName) under the state lock against the call's context,
 * with the deployment controller run before and after, so reads see converged pods and writes
 * (a deleted pod) are followed by the controller's reaction (its replacement).
 */
function withCluster(call, args, fn) {
  const context = args.flags.context;
  return call.update((s) => {
    const r = resolveContext(s, context);
    if (r.error === 'no-context') call.fail(1, `error: context "${context}" does not exist`);
    if (r.error) call.fail(1, `The connection to the server ${hostPort(r.server)} was refused - did you specify the right host or port?`);
    const ns = args.flags.namespace ?? s.kube.contexts[context].namespace ?? 'default';
    reconcile(s, r.cluster);
    const result = fn(s, r.cluster, ns, r.name);
    reconcile(s, r.cluster);
    return result;
  });
}

function namespaceJson(name, obj) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, uid: uid(`ns/${name}`), creationTimestamp: isoSeconds(obj.created), labels: obj.labels },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function secretJson(key, secret) {
  const [namespace, name] = key.split('/');
  const metadata = { name, namespace, uid: uid(key), resourceVersion: String(secret.resourceVersion), creationTimestamp: isoSeconds(secret.created) };
  if (Object.keys(secret.labels).length > 0) metadata.labels = secret.labels;
  if (Object.keys(secret.annotations).length > 0) metadata.annotations = secret.annotations;
  metadata.managedFields = secret.managers.map((manager) => ({ manager, operation: manager === 'kubectl-client-side-apply' || manager === 'kubectl-create' ? 'Update' : 'Apply', apiVersion: 'v1' }));
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: secret.type, data: secret.data };
}

function objectJson(state, cluster, kind, key) {
  if (kind === 'namespaces') return namespaceJson(key, cluster.namespaces[key]);
  if (kind === 'secrets') return secretJson(key, cluster.secrets[key]);
  if (kind === 'pods') return podJson(state, cluster, key);
  if (kind === 'deployments') return deploymentJson(state, cluster, key);
  if (kind === 'statefulsets') return statefulSetJson(state, cluster, key);
  if (kind === 'persistentvolumeclaims') return pvcJson(cluster, key);
  if (kind === 'storageclasses') return storageClassJson(cluster, key);
  if (kind === 'nodes') return nodeJson(state, cluster, key);
  if (kind === 'configmaps') return configMapJson(cluster, key);
  if (kind === 'ingresses') return ingressJson(cluster, key);
  if (kind === 'ingressclasses') return ingressClassJson(cluster, key);
  return serviceJson(cluster, key);
}

function labelsOf(cluster, kind, key, state) {
  if (kind === 'namespaces') return cluster.namespaces[key].labels;
  if (kind === 'nodes') return nodeJson(state, cluster, key).metadata.labels;
  if (kind === 'configmaps') return cluster.configmaps[key].labels ?? {};
  if (kind === 'services') return cluster.services[key].labels ?? {};
  if (kind === 'ingressclasses') return {};
  if (kind === 'storageclasses') return { 'addonmanager.kubernetes.io/mode': 'EnsureExists' };
  return cluster[kind][key].labels;
}

function keysOf(cluster, kind, ns, allNamespaces, state) {
  const keys = Object.keys(objectsOf(cluster, kind, state));
  if (!KINDS[kind].namespaced || allNamespaces) return keys.sort();
  return keys.filter((k) => k.startsWith(`${ns}/`)).sort();
}

function notFound(kind, name) {
  return `Error from server (NotFound): ${KINDS[kind].api} "${name}" not found`;
}

async function printObjects(call, output, objects, asList) {
  if (output === 'json') {
    const doc = asList ? { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } } : objects[0];
    call.out(`${JSON.stringify(doc, null, 4)}\n`);
  } else if (output === 'yaml') {
    const { stringify } = await import('yaml');
    call.out(stringify(asList ? { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } } : objects[0]));
  } else if (output === 'name') {
    for (const o of objects) {
      const kind = Object.values(KINDS).find((k) => k.short.split('.')[0] === o.kind.toLowerCase());
      call.out(`${kind.short}/${o.metadata.name}\n`);
    }
  } else call.unexpected(`-o ${output} is not simulated`);
}

function nodeRow(node) {
  const ready = node.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady';
  const roles = Object.keys(node.metadata.labels).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.split('/')[1]).join(',') || '<none>';
  return `${node.metadata.name}   ${ready}   ${roles}   1m   ${node.status.nodeInfo.kubeletVersion}\n`;
}

function podRow(state, cluster, key) {
  const st = podStatus(state, cluster, key, cluster.pods[key]);
  const readyCount = st.containers.filter((c) => c.ready).length;
  const waiting = st.containers.find((c) => c.waiting)?.waiting?.reason;
  const status = waiting ?? (st.phase === 'Succeeded' ? 'Completed' : st.phase === 'Failed' ? 'Error' : st.phase);
  const restarts = st.containers.reduce((n, c) => n + c.restartCount, 0);
  return `${key.split('/')[1]}   ${readyCount}/${Math.max(st.containers.length, 1)}   ${status}   ${restarts}   1m\n`;
}

const get = {
  cluster: true,
  flags: { 'o|output': 'value', 'l|selector': 'list', 'A|all-namespaces': 'bool', 'ignore-not-found': 'bool', 'show-labels': 'bool', 'no-headers': 'bool', 'w|watch': 'bool', 'show-managed-fields': 'bool' },
  async run(call, args) {
    if (args.flags.watch) call.unexpected('get --watch is not simulated');
    const wanted = targets(call, args.positionals);
    const selector = (args.flags.selector ?? []).join(',');
    const { objects, missing, rows, ns } = withCluster(call, args, (s, cluster, ns) => {
      const found = [];
      const lost = [];
      const table = [];
      for (const t of wanted) {
        // A denied list still prints an empty List with -o json (recorded: get-nodes-forbidden.json).
        if (!t.name && args.flags.output === 'json' && deniedFor(cluster, t.kind, ns)) call.out(`${JSON.stringify({ apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } }, null, 4)}\n`);
        checkForbidden(call, cluster, t.kind, t.name ? 'get' : 'list', ns, t.name);
        const keys = t.name ? [KINDS[t.kind].namespaced ? `${ns}/${t.name}` : t.name] : keysOf(cluster, t.kind, ns, args.flags['all-namespaces'], s).filter((k) => selectorMatches(selector, labelsOf(cluster, t.kind, k, s)));
        for (const key of keys) {
          if (!objectsOf(cluster, t.kind, s)[key]) {
            lost.push(notFound(t.kind, t.name));
            continue;
          }
          const object = objectJson(s, cluster, t.kind, key);
          // kubectl get leaves managedFields out unless asked (test/contract/recorded/kubectl*).
          if (!args.flags['show-managed-fields']) delete object.metadata.managedFields;
          found.push(object);
          table.push(t.kind === 'pods' ? podRow(s, cluster, key) : t.kind === 'nodes' ? nodeRow(object) : `${key.split('/').pop()}   1m\n`);
        }
      }
      return { objects: found, missing: lost, rows: table, ns };
    });
    const asList = wanted.some((t) => !t.name) || objects.length + missing.length > 1;
    const output = args.flags.output;
    if (objects.length === 0 && missing.length === 0 && !output) {
      call.err(args.flags['all-namespaces'] || !KINDS[wanted[0].kind].namespaced ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
      // Named objects that are all missing print nothing, not an empty List; a selector that matches none prints an empty List.
    } else if (objects.length > 0 || (wanted.some((t) => !t.name) && output)) {
      if (output) await printObjects(call, output, objects, asList);
      else {
        if (!args.flags['no-headers']) call.out(wanted[0].kind === 'pods' ? 'NAME   READY   STATUS   RESTARTS   AGE\n' : wanted[0].kind === 'nodes' ? 'NAME   STATUS   ROLES   AGE   VERSION\n' : 'NAME   AGE\n');
        for (const row of rows) call.out(row);
      }
    }
    if (missing.length > 0 && !args.flags['ignore-not-found']) call.fail(1, missing.join('\n'));
  },
};

function decodeEnvFile(call, path, env) {
  const data = {};
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/^\uFEFF/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq === -1 ? line.trim() : line.slice(0, eq);
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) call.fail(1, `error: "${key}" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit`);
    if (eq === -1) {
      // A bare KEY takes its value from kubectl's own environment (pkg/cmd/util/env_file.go).
      if (env[key] !== undefined) data[key] = Buffer.from(env[key]).toString('base64');
    } else data[key] = Buffer.from(line.slice(eq + 1)).toString('base64');
  }
  return data;
}

function dryRunMode(value) {
  if (value === undefined || value === 'none' || value === 'false') return 'none';
  if (value === 'server') return 'server';
  return 'client';
}

const create = {
  flags: {
    'o|output': 'value',
    'dry-run': 'optional',
    'from-env-file': 'list',
    'from-literal': 'list',
    'from-file': 'list',
    type: 'value',
    'save-config': 'bool',
    'field-manager': 'value',
  },
  optionalDefaults: { 'dry-run': 'unchanged' },
  cluster: (args) => dryRunMode(args.flags['dry-run']) !== 'client',
  mutating: (args) => dryRunMode(args.flags['dry-run']) === 'none',
  async run(call, args, state) {
    const [what, ...rest] = args.positionals;
    let object;
    const ns = args.flags.namespace ?? state.kube.contexts[args.flags.context]?.namespace ?? 'default';
    if (what === 'namespace' || what === 'ns') {
      if (rest.length !== 1) call.fail(1, 'error: exactly one NAME is required, got 0');
      object = { kind: 'Namespace', apiVersion: 'v1', metadata: { name: rest[0] }, spec: {}, status: {} };
    } else if (what === 'secret' && rest[0] === 'generic') {
      const name = rest[1];
      if (!name) call.fail(1, 'error: exactly one NAME is required, got 0');
      if (args.flags['from-env-file'] && (args.flags['from-literal'] || args.flags['from-file'])) {
        call.fail(1, 'error: from-env-file cannot be combined with from-file or from-literal');
      }
      const data = {};
      for (const f of args.flags['from-env-file'] ?? []) Object.assign(data, decodeEnvFile(call, resolve(call.cwd, f), call.env));
      for (const kv of args.flags['from-literal'] ?? []) {
        const eq = kv.indexOf('=');
        data[kv.slice(0, eq)] = Buffer.from(kv.slice(eq + 1)).toString('base64');
      }
      for (const spec of args.flags['from-file'] ?? []) {
        const eq = spec.indexOf('=');
        const path = eq === -1 ? spec : spec.slice(eq + 1);
        const key = eq === -1 ? path.split('/').pop() : spec.slice(0, eq);
        data[key] = readFileSync(resolve(call.cwd, path)).toString('base64');
      }
      object = { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: ns }, data };
      if (args.flags.type) object.type = args.flags.type;
    } else call.unexpected(`create ${what} is not simulated`);
    const mode = dryRunMode(args.flags['dry-run']);
    if (mode === 'none' || mode === 'server') {
      withCluster(call, args, (s, cluster) => {
        const kind = object.kind === 'Namespace' ? 'namespaces' : 'secrets';
        const key = kind === 'namespaces' ? object.metadata.name : `${ns}/${object.metadata.name}`;
        if (kind === 'secrets' && !cluster.namespaces[ns]) call.fail(1, `error: failed to create secret namespaces "${ns}" not found`);
        if (cluster[kind][key]) call.fail(1, `Error from server (AlreadyExists): ${kind} "${object.metadata.name}" already exists`);
        if (mode === 'server') return;
        const created = new Date().toISOString();
        if (kind === 'namespaces') cluster.namespaces[key] = { labels: { 'kubernetes.io/metadata.name': key }, created };
        else cluster.secrets[key] = { type: object.type ?? 'Opaque', data: object.data, labels: {}, annotations: {}, resourceVersion: nextResourceVersion(cluster), created, managers: ['kubectl-create'] };
        call.changed = true;
      });
    }
    const output = args.flags.output;
    if (output === 'yaml') {
      const { stringify } = await import('yaml');
      const sorted = Object.fromEntries(Object.entries(object).filter(([, v]) => !(v && typeof v === 'object' && Object.keys(v).length === 0 && v !== object.data)).sort(([a], [b]) => a.localeCompare(b)));
      call.out(stringify(sorted));
    } else if (output === 'json') call.out(`${JSON.stringify(object, null, 4)}\n`);
    else if (output === 'name') call.out(`${object.kind.toLowerCase()}/${object.metadata.name}\n`);
    else if (output) call.unexpected(`-o ${output} is not simulated`);
    else call.out(`${object.kind.toLowerCase()}/${object.metadata.name} ${mode === 'none' ? 'created' : `created (${mode} dry run)`}\n`);
  },
};

async function readManifests(call, files) {
  const docs = [];
  for (const f of files) {
    const text = f === '-' ? await call.readStdin() : readFileSync(resolve(call.cwd, f), 'utf8');
    const trimmed = text.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const parsed = JSON.parse(trimmed);
      docs.push(...(Array.isArray(parsed) ? parsed : parsed.kind === 'List' ? parsed.items : [parsed]));
    } else {
      const { parseAllDocuments } = await import('yaml');
      for (const d of parseAllDocuments(text)) {
        if (d.errors.length > 0) call.fail(1, `error: error parsing ${f === '-' ? 'STDIN' : f}: ${d.errors[0].message}`);
        const value = d.toJS();
        if (value) docs.push(...(value.kind === 'List' ? value.items : [value]));
      }
    }
  }
  return docs;
}

const apply = {
  cluster: true,
  flags: {
    'f|filename': 'list',
    'server-side': 'bool',
    'field-manager': 'value',
    'force-conflicts': 'bool',
    'dry-run': 'optional',
    'o|output': 'value',
    validate: 'optional',
    overwrite: 'bool',
  },
  optionalDefaults: { 'dry-run': 'unchanged', validate: 'strict' },
  mutating: (args) => dryRunMode(args.flags['dry-run']) === 'none',
  async run(call, args) {
    if (!args.flags.filename) call.fail(1, 'error: must specify one of -f and -k');
    const docs = await readManifests(call, args.flags.filename);
    const serverSide = Boolean(args.flags['server-side']);
    const manager = args.flags['field-manager'] ?? (serverSide ? 'kubectl' : 'kubectl-client-side-apply');
    const mode = dryRunMode(args.flags['dry-run']);
    const source = args.flags.filename.includes('-') ? 'STDIN' : args.flags.filename[0];
    const lines = withCluster(call, args, (s, cluster, defaultNs) => {
      const out = [];
      for (const doc of docs) {
        const name = doc.metadata?.name;
        if (!name) call.fail(1, `error: error validating "${source}": error validating data: metadata.name: Required value`);
        if (doc.kind === 'Namespace') {
          const exists = Boolean(cluster.namespaces[name]);
          if (!exists && mode === 'none') {
            cluster.namespaces[name] = { labels: { 'kubernetes.io/metadata.name': name, ...(doc.metadata.labels ?? {}) }, created: new Date().toISOString() };
            call.changed = true;
          } else if (exists && mode === 'none' && doc.metadata.labels) {
            const before = JSON.stringify(cluster.namespaces[name].labels);
            Object.assign(cluster.namespaces[name].labels, doc.metadata.labels);
            if (JSON.stringify(cluster.namespaces[name].labels) !== before) call.changed = true;
          }
          out.push(`namespace/${name} ${serverSide ? 'serverside-applied' : exists ? 'unchanged' : 'created'}`);
          continue;
        }
        const kind = { Secret: 'secrets', Pod: 'pods', Ingress: 'ingresses', Service: 'services' }[doc.kind];
        if (!kind) call.unexpected(`apply of a ${doc.kind} is not simulated`);
        const ns = doc.metadata.namespace ?? defaultNs;
        if (args.flags.namespace && doc.metadata.namespace && doc.metadata.namespace !== args.flags.namespace) {
          call.fail(1, `error: the namespace from the provided object "${doc.metadata.namespace}" does not match the namespace "${args.flags.namespace}". You must pass '--namespace=${doc.metadata.namespace}' to perform this operation.`);
        }
        checkForbidden(call, cluster, kind, 'patch', ns, name);
        if (!cluster.namespaces[ns]) {
          call.fail(1, serverSide ? `Error from server (NotFound): namespaces "${ns}" not found` : `Error from server (NotFound): error when creating "${source}": namespaces "${ns}" not found`);
        }
        if (doc.kind === 'Pod') {
          out.push(applyPod(call, cluster, ns, doc, { serverSide, mode }));
          continue;
        }
        if (doc.kind === 'Ingress' || doc.kind === 'Service') {
          out.push((doc.kind === 'Ingress' ? applyIngress : applyService)(call, cluster, ns, doc, { serverSide, mode, manager }));
          continue;
        }
        const data = {};
        for (const [k, v] of Object.entries(doc.data ?? {})) {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(String(v)) || String(v).length % 4 !== 0) {
            call.fail(1, `Error from server (BadRequest): error when creating "${source}": Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${String(v).search(/[^A-Za-z0-9+/=]/) === -1 ? 0 : String(v).search(/[^A-Za-z0-9+/=]/)}`);
          }
          data[k] = String(v);
        }
        for (const [k, v] of Object.entries(doc.stringData ?? {})) data[k] = Buffer.from(String(v)).toString('base64');
        const key = `${ns}/${name}`;
        const existing = cluster.secrets[key];
        const type = doc.type ?? existing?.type ?? 'Opaque';
        if (existing && existing.type !== type) {
          call.fail(1, `The Secret "${name}" is invalid: type: Invalid value: "${type}": field is immutable`);
        }
        if (serverSide && existing && !existing.managers.includes(manager) && !args.flags['force-conflicts']) {
          const conflicts = Object.keys(data).filter((k) => k in existing.data && existing.data[k] !== data[k]);
          if (conflicts.length > 0) {
            const owner = existing.managers[0];
            call.fail(
              1,
              `error: Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts.map((k) => `conflict with "${owner}": .data.${k}`).join('\n')}\nPlease review the fields above--they currently have other managers. Here\nare the ways you can resolve this warning:\n* If you intend to manage all of these fields, please re-run the apply\n  command with the \`--force-conflicts\` flag.`,
            );
          }
        }
        const labels = doc.metadata.labels ?? {};
        const annotations = { ...(doc.metadata.annotations ?? {}) };
        if (!serverSide) {
          // Client-side apply keeps the whole applied object, secret data included, in an annotation.
          annotations['kubectl.kubernetes.io/last-applied-configuration'] = `${JSON.stringify({ apiVersion: 'v1', data, kind: 'Secret', metadata: { annotations: doc.metadata.annotations ?? {}, labels, name, namespace: ns }, type })}\n`;
        }
        const same = existing && JSON.stringify([existing.data, existing.labels, existing.annotations, existing.type]) === JSON.stringify([data, labels, annotations, type]);
        if (mode === 'none' && !same) {
          cluster.secrets[key] = {
            type,
            data,
            labels,
            annotations,
            resourceVersion: nextResourceVersion(cluster),
            created: existing?.created ?? new Date().toISOString(),
            managers: [...new Set([...(existing?.managers ?? []), manager])],
          };
          call.changed = true;
        }
        const suffix = mode === 'none' ? '' : ` (${mode} dry run)`;
        out.push(`secret/${name} ${serverSide ? 'serverside-applied' : !existing ? 'created' : same ? 'unchanged' : 'configured'}${suffix}`);
      }
      return out;
    });
    if (args.flags.output === 'name') call.out(lines.map((l) => `${l.split(' ')[0]}\n`).join(''));
    else if (args.flags.output) call.unexpected(`apply -o ${args.flags.output} is not simulated`);
    else call.out(lines.map((l) => `${l}\n`).join(''));
  },
};

/**
 * A bare Pod from `kubectl apply` (the product's pull probe): kept with its containers (command
 * and terminationMessagePolicy included), restartPolicy and imagePullSecrets; its status is derived like any pod's
 * (workloads.mjs: the pull, then a one-shot `true`/`false` command terminates). A Pod's spec is
 * immutable but for the images (apimachinery validation of pod updates): another change is refused
 * with the API server's Invalid error (its leading words; the field list after them is shortened).
 */
function applyPod(call, cluster, ns, doc, { serverSide, mode }) {
  const name = doc.metadata.name;
  const spec = doc.spec ?? {};
  const containers = (spec.containers ?? []).map((c) => ({ ...containerFrom(c, spec), ...(c.command && { command: c.command }), ...(c.terminationMessagePolicy && { terminationMessagePolicy: c.terminationMessagePolicy }) }));
  const pod = {
    bare: true,
    templateHash: '',
    labels: doc.metadata.labels ?? {},
    annotations: doc.metadata.annotations ?? {},
    containers,
    restartPolicy: spec.restartPolicy ?? 'Always',
    ...(spec.imagePullSecrets?.length > 0 && { imagePullSecrets: spec.imagePullSecrets.map((r) => r.name) }),
    created: new Date().toISOString(),
    logs: [],
  };
  const key = `${ns}/${name}`;
  const existing = cluster.pods[key];
  const suffix = mode === 'none' ? '' : ` (${mode} dry run)`;
  const verb = (fresh, same) => (serverSide ? 'serverside-applied' : fresh ? 'created' : same ? 'unchanged' : 'configured');
  if (existing) {
    const withoutImages = (p) => JSON.stringify([p.containers.map((c) => ({ ...c, image: '' })), p.restartPolicy, p.imagePullSecrets ?? []]);
    if (!existing.bare || withoutImages(existing) !== withoutImages(pod)) {
      call.fail(1, `The Pod "${name}" is invalid: spec: Forbidden: pod updates may not change fields other than \`spec.containers[*].image\`,\`spec.initContainers[*].image\`,\`spec.activeDeadlineSeconds\`,\`spec.tolerations\` (only additions to existing tolerations),\`spec.terminationGracePeriodSeconds\` (allow it to be set to 1 if it was previously negative)`);
    }
    const same = JSON.stringify([existing.containers, existing.labels]) === JSON.stringify([pod.containers, pod.labels]);
    if (mode === 'none' && !same) {
      existing.containers = pod.containers;
      existing.labels = pod.labels;
      call.changed = true;
    }
    return `pod/${name} ${verb(false, same)}${suffix}`;
  }
  if (mode === 'none') {
    pod.uid = uid(`${key}/${pod.created}/${process.pid}`);
    cluster.pods[key] = pod;
    call.changed = true;
  }
  return `pod/${name} ${verb(true, false)}${suffix}`;
}

/**
 * The API server's refusal of an invalid object, as kubectl prints it (StandardErrorMessage for
 * an Invalid status with one cause): `The <Kind> "<name>" is invalid: <field>: <detail>`. The
 * causes are apimachinery's validation texts (networking/validation, core/validation);
 * **unverified** against a recording.
 */
function invalid(call, kind, name, field, detail) {
  call.fail(1, `The ${kind} "${name}" is invalid: ${field}: ${detail}`);
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MESSAGE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** networking.k8s.io/v1 Ingress validation, the parts a client gets wrong: hosts, pathType, paths, backends. */
function validateIngress(call, name, spec) {
  (spec.rules ?? []).forEach((rule, r) => {
    const at = `spec.rules[${r}]`;
    if (rule.host !== undefined && rule.host !== '') {
      if (/^\d+\.\d+\.\d+\.\d+$/.test(rule.host) || rule.host.includes(':')) invalid(call, 'Ingress', name, `${at}.host`, `Invalid value: "${rule.host}": must be a DNS name, not an IP address`);
      const bare = rule.host.startsWith('*.') ? rule.host.slice(2) : rule.host;
      if (!DNS1123_SUBDOMAIN.test(bare) || bare.length > 253) invalid(call, 'Ingress', name, `${at}.host`, `Invalid value: "${rule.host}": ${DNS1123_SUBDOMAIN_MESSAGE}`);
    }
    (rule.http?.paths ?? []).forEach((path, i) => {
      const p = `${at}.http.paths[${i}]`;
      if (!path.pathType) invalid(call, 'Ingress', name, `${p}.pathType`, 'Required value: pathType must be specified');
      if (!['Exact', 'ImplementationSpecific', 'Prefix'].includes(path.pathType)) invalid(call, 'Ingress', name, `${p}.pathType`, `Unsupported value: "${path.pathType}": supported values: "Exact", "ImplementationSpecific", "Prefix"`);
      if (path.pathType !== 'ImplementationSpecific' && !String(path.path ?? '').startsWith('/')) invalid(call, 'Ingress', name, `${p}.path`, `Invalid value: "${path.path ?? ''}": must be an absolute path`);
      const service = path.backend?.service;
      if (!service?.name) invalid(call, 'Ingress', name, `${p}.backend.service.name`, 'Required value');
      const port = service.port ?? {};
      if (port.number !== undefined && port.name !== undefined) invalid(call, 'Ingress', name, `${p}.backend.service.port.name`, `Invalid value: "${port.name}": cannot set both port name & port number`);
      if (port.number === undefined && port.name === undefined) invalid(call, 'Ingress', name, `${p}.backend.service`, 'Required value: port name or number is required');
      if (port.number !== undefined && !(Number.isInteger(port.number) && port.number >= 1 && port.number <= 65535)) invalid(call, 'Ingress', name, `${p}.backend.service.port.number`, `Invalid value: ${port.number}: must be between 1 and 65535, inclusive`);
    });
  });
}

/** An applied object's line: server-side apply always says serverside-applied; client-side created/configured/unchanged. */
function appliedLine(kind, name, { serverSide, mode }, fresh, same) {
  const suffix = mode === 'none' ? '' : ` (${mode} dry run)`;
  return `${kind}/${name} ${serverSide ? 'serverside-applied' : fresh ? 'created' : same ? 'unchanged' : 'configured'}${suffix}`;
}

/** An Ingress (todo-deploy's, on the cluster target): validated as the API server does, kept with its spec as sent. */
function applyIngress(call, cluster, ns, doc, options) {
  const name = doc.metadata.name;
  const spec = doc.spec ?? {};
  validateIngress(call, name, spec);
  const key = `${ns}/${name}`;
  cluster.ingresses ??= {};
  const existing = cluster.ingresses[key];
  const labels = doc.metadata.labels ?? {};
  const annotations = doc.metadata.annotations ?? {};
  const same = existing && JSON.stringify([existing.spec, existing.labels, existing.annotations]) === JSON.stringify([spec, labels, annotations]);
  if (options.mode === 'none' && !same) {
    cluster.ingresses[key] = { labels, annotations, spec, managers: [...new Set([...(existing?.managers ?? []), options.manager])], created: existing?.created ?? new Date().toISOString(), resourceVersion: nextResourceVersion(cluster) };
    call.changed = true;
  }
  return appliedLine('ingress.networking.k8s.io', name, options, !existing, same);
}

/**
 * A Service applied by itself (todo-deploy's LoadBalancer Services): a NodePort or LoadBalancer
 * one gets node ports allocated (kept across re-applies), as the API server does. A release's
 * Service is Helm's: applying over it is not simulated.
 */
function applyService(call, cluster, ns, doc, options) {
  const name = doc.metadata.name;
  const spec = doc.spec ?? {};
  const key = `${ns}/${name}`;
  const existing = cluster.services[key];
  if (existing?.release) call.unexpected(`apply over the Service of Helm release ${existing.release} is not simulated`);
  const type = spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(type)) call.unexpected(`a Service of type ${type} is not simulated`);
  if (!spec.ports?.length) invalid(call, 'Service', name, 'spec.ports', 'Required value');
  const taken = new Set(Object.entries(cluster.services).filter(([k]) => k !== key).flatMap(([, svc]) => svc.ports.map((p) => p.nodePort).filter(Boolean)));
  const ports = spec.ports.map((p, i) => {
    if (!(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535)) invalid(call, 'Service', name, `spec.ports[${i}].port`, `Invalid value: ${p.port}: must be between 1 and 65535, inclusive`);
    const port = { ...(p.name && { name: p.name }), port: p.port, targetPort: p.targetPort ?? p.port };
    if (type === 'ClusterIP') return port;
    let nodePort = p.nodePort ?? existing?.ports.find((q) => q.port === p.port)?.nodePort;
    if (!nodePort) {
      nodePort = 30000 + (parseInt(uid(`${key}/${p.port}`).slice(0, 4), 16) % 2768);
      while (taken.has(nodePort)) nodePort = nodePort === 32767 ? 30000 : nodePort + 1;
    }
    taken.add(nodePort);
    return { ...port, nodePort };
  });
  const service = { type, selector: spec.selector ?? {}, ports, labels: doc.metadata.labels ?? {}, annotations: doc.metadata.annotations ?? {} };
  const same = existing && JSON.stringify([existing.type, existing.selector, existing.ports, existing.labels ?? {}, existing.annotations ?? {}]) === JSON.stringify([service.type, service.selector, service.ports, service.labels, service.annotations]);
  if (options.mode === 'none' && !same) {
    cluster.services[key] = { ...service, managers: [...new Set([...(existing?.managers ?? []), options.manager])], created: existing?.created ?? new Date().toISOString(), resourceVersion: nextResourceVersion(cluster) };
    call.changed = true;
  }
  return appliedLine('service', name, options, !existing, same);
}

function ingressJson(cluster, key) {
  const ing = cluster.ingresses[key];
  const [namespace, name] = key.split('/');
  const metadata = { name, namespace, uid: uid(`ingress/${key}`), resourceVersion: String(ing.resourceVersion), generation: 1, creationTimestamp: isoSeconds(ing.created) };
  if (Object.keys(ing.labels).length > 0) metadata.labels = ing.labels;
  if (Object.keys(ing.annotations).length > 0) metadata.annotations = ing.annotations;
  metadata.managedFields = ing.managers.map((manager) => ({ manager, operation: 'Apply', apiVersion: 'networking.k8s.io/v1' }));
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata, spec: ing.spec, status: { loadBalancer: {} } };
}

/** An IngressClass as ingress-nginx's chart (or Traefik's) installs it; the default one annotated. */
function ingressClassJson(cluster, name) {
  const c = (cluster.ingressClasses ?? []).find((x) => x.name === name);
  const metadata = { name, uid: uid(`ingressclass/${name}`), resourceVersion: '400', generation: 1, creationTimestamp: isoSeconds(cluster.namespaces.default?.created ?? new Date().toISOString()) };
  if (c.isDefault) metadata.annotations = { 'ingressclass.kubernetes.io/is-default-class': 'true' };
  return { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata, spec: { controller: c.controller ?? 'k8s.io/ingress-nginx' } };
}

const remove = {
  cluster: true,
  flags: { 'ignore-not-found': 'bool', wait: 'bool', 'grace-period': 'value', timeout: 'value', 'l|selector': 'list', now: 'bool', force: 'bool', 'o|output': 'value' },
  mutating: true,
  run(call, args) {
    const wanted = targets(call, args.positionals);
    const selector = (args.flags.selector ?? []).join(',');
    const { lines, missing } = withCluster(call, args, (s, cluster, ns, clusterName) => {
      const done = [];
      const lost = [];
      for (const t of wanted) {
        const keys = t.name ? [KINDS[t.kind].namespaced ? `${ns}/${t.name}` : t.name] : selector ? keysOf(cluster, t.kind, ns, false, s).filter((k) => selectorMatches(selector, labelsOf(cluster, t.kind, k, s))) : call.fail(1, 'error: resource(s) were provided, but no name was specified');
        for (const key of keys) {
          if (KINDS[t.kind].readOnly) call.unexpected(`delete of a ${t.kind} is not simulated`);
          if (!cluster[t.kind]?.[key]) {
            lost.push(notFound(t.kind, t.name));
            continue;
          }
          delete cluster[t.kind][key];
          if (t.kind === 'namespaces') {
            for (const kind of ['secrets', 'pods', 'deployments', 'statefulsets', 'services', 'persistentvolumeclaims', 'configmaps', 'ingresses']) for (const k of Object.keys(cluster[kind] ?? {})) if (k.startsWith(`${key}/`)) delete cluster[kind][k];
            for (const k of Object.keys(s.helm.releases[clusterName] ?? {})) if (k.startsWith(`${key}/`)) delete s.helm.releases[clusterName][k];
          }
          // A deleted PVC takes its volume with it (the `standard` class reclaims with Delete): the rows are gone.
          // (A PVC still mounted by a pod would wait on its pvc-protection finalizer; not simulated.)
          call.changed = true;
          done.push(deletedLine(s, t.kind, key));
        }
      }
      return { lines: done, missing: lost };
    });
    call.out(lines.map((l) => `${l}\n`).join(''));
    if (missing.length > 0 && !args.flags['ignore-not-found']) call.fail(1, missing.join('\n'));
  },
};

/**
 * kubectl's deletion line: the kind with its API group ("deployment.apps"), and from 1.33, a namespaced object's line names its namespace
 * ("… deleted from todo namespace"): the format string "%s from %s namespace" is in the 1.34
 * binary and not in the 1.32 one (a recording against a cluster is still to be made); kubernetes/kubectl delete.go PrintObj.
 */
function deletedLine(state, kind, key) {
  const name = key.split('/').pop();
  const minor = Number(state.tools.kubectl.version.split('.')[1]);
  const where = KINDS[kind].namespaced && minor >= 33 ? ` from ${key.split('/')[0]} namespace` : '';
  return `${KINDS[kind].short} "${name}" deleted${where}`;
}

function deploymentTarget(call, positionals, kinds = ['deployments']) {
  const [first, second] = positionals;
  const [kind, name] = first?.includes('/') ? first.split('/') : [first, second];
  if (!kind || !name) call.fail(1, 'error: required resource not specified');
  const k = kindOf(call, kind);
  if (!kinds.includes(k)) call.unexpected(`rollout of a ${kind} is not simulated`);
  return kinds.length > 1 ? { kind: k, name } : name;
}

/** kubectl's StatefulSetStatusViewer (polymorphichelpers/rollout_status.go), for RollingUpdate with partition 0 as the API server defaults it. */
function statefulSetStatusLine(r) {
  if (r.ready < r.replicas) return { line: `Waiting for ${r.replicas - r.ready} pods to be ready...`, done: false };
  if (r.updated < r.replicas) return { line: `Waiting for partitioned roll out to finish: ${r.updated} out of ${r.replicas} new pods have been updated...`, done: false };
  return { line: `partitioned roll out complete: ${r.updated} new pods have been updated...`, done: true };
}

function waitingLine(name, r) {
  if (r.updated < r.replicas) return `Waiting for deployment "${name}" rollout to finish: ${r.updated} out of ${r.replicas} new replicas have been updated...`;
  if (r.total > r.updated) return `Waiting for deployment "${name}" rollout to finish: ${r.total - r.updated} old replicas are pending termination...`;
  return `Waiting for deployment "${name}" rollout to finish: ${r.readyCurrent} of ${r.replicas} updated replicas are available...`;
}

const rolloutStatus = {
  cluster: true,
  flags: { timeout: 'value', 'w|watch': 'bool', revision: 'value', 'l|selector': 'value', 'f|filename': 'list' },
  run(call, args) {
    const target = deploymentTarget(call, args.positionals, ['deployments', 'statefulsets']);
    const name = target.name;
    const watch = args.flags.watch !== false;
    const timeout = args.flags.timeout === undefined ? 0 : parseDuration(args.flags.timeout);
    if (timeout === undefined) call.fail(1, `error: invalid argument "${args.flags.timeout}" for "--timeout" flag: time: invalid duration "${args.flags.timeout}"`);
    if (watch && timeout === 0) call.unsafe('rollout status without --timeout waits forever on a rollout that never finishes');
    if (target.kind === 'statefulsets') {
      const st = withCluster(call, args, (s, cluster, ns) => {
        if (!cluster.statefulsets[`${ns}/${name}`]) call.fail(1, notFound('statefulsets', name));
        return statefulSetStatusLine(statefulSetState(s, cluster, `${ns}/${name}`));
      });
      call.out(`${st.line}\n`);
      if (!st.done && watch) call.fail(1, 'error: timed out waiting for the condition');
      return;
    }
    const r = withCluster(call, args, (s, cluster, ns) => {
      if (!cluster.deployments[`${ns}/${name}`]) call.fail(1, notFound('deployments', name));
      return rolloutState(s, cluster, `${ns}/${name}`);
    });
    if (r.done) {
      call.out(`deployment "${name}" successfully rolled out\n`);
      return;
    }
    call.out(`${waitingLine(name, r)}\n`);
    if (r.deadlineExceeded) call.fail(1, `error: deployment "${name}" exceeded its progress deadline`);
    if (watch) call.fail(1, 'error: timed out waiting for the condition');
  },
};

const rolloutRestart = {
  cluster: true,
  flags: {},
  mutating: true,
  run(call, args) {
    const name = deploymentTarget(call, args.positionals);
    withCluster(call, args, (s, cluster, ns) => {
      const d = cluster.deployments[`${ns}/${name}`];
      if (!d) call.fail(1, notFound('deployments', name));
      restartDeployment(d);
      call.changed = true;
    });
    call.out(`deployment.apps/${name} restarted\n`);
  },
};

const logs = {
  cluster: true,
  flags: {
    'c|container': 'value',
    tail: 'value',
    'p|previous': 'bool',
    prefix: 'bool',
    'f|follow': 'bool',
    timestamps: 'bool',
    'all-containers': 'bool',
    since: 'value',
    'l|selector': 'value',
    'max-log-requests': 'value',
    'ignore-errors': 'bool',
    'pod-running-timeout': 'value',
  },
  async run(call, args) {
    const selector = args.flags.selector;
    const target = args.positionals[0];
    if (!selector && !target) call.fail(1, 'error: expected POD or TYPE/NAME is a required argument for the logs command');
    const pick = (s, cluster, ns) => {
      let keys;
      if (selector) keys = Object.keys(cluster.pods).filter((k) => k.startsWith(`${ns}/`) && selectorMatches(selector, cluster.pods[k].labels));
      else if (target.includes('/')) {
        const [kind, name] = target.split('/');
        const k = kindOf(call, kind);
        if (k === 'pods') keys = [`${ns}/${name}`];
        else if (k === 'deployments') {
          if (!cluster.deployments[`${ns}/${name}`]) call.fail(1, notFound('deployments', name));
          keys = Object.keys(cluster.pods).filter((p) => cluster.pods[p].deployment === `${ns}/${name}`).slice(0, 1);
        } else if (k === 'statefulsets') {
          if (!cluster.statefulsets[`${ns}/${name}`]) call.fail(1, notFound('statefulsets', name));
          keys = Object.keys(cluster.pods).filter((p) => cluster.pods[p].statefulset === `${ns}/${name}`).sort().slice(0, 1);
        } else call.unexpected(`logs of a ${kind} are not simulated`);
      } else keys = [`${ns}/${target}`];
      const testPod = !selector && cluster.testPods?.[keys[0]];
      if (testPod) return [{ key: keys[0], testPod }];
      if (!selector && !cluster.pods[keys[0]]) call.fail(1, notFound('pods', keys[0]?.split('/')[1] ?? target));
      return keys.map((key) => ({ key, pod: cluster.pods[key], status: podStatus(s, cluster, key, cluster.pods[key]) }));
    };
    const release = (pod) => pod.labels['app.kubernetes.io/instance'];
    const linesOf = (s, entry) => {
      if (entry.testPod) return { container: 'test', lines: entry.testPod.logs };
      const fault = s.faults.pods?.[release(entry.pod)];
      const container = args.flags.container ?? entry.status.containers[0]?.name;
      const c = entry.status.containers.find((x) => x.name === container);
      const podName = entry.key.split('/')[1];
      if (!c) call.fail(1, `error: container ${container} is not valid for pod ${podName}`);
      if (args.flags.previous) {
        if (!c.lastTerminated) call.fail(1, `Error from server (BadRequest): previous terminated container "${container}" in pod "${podName}" not found`);
        return { container, lines: c.logs ?? fault?.previousLogs ?? fault?.logs ?? entry.pod.previousLogs ?? [] };
      }
      if (c.waiting && !c.lastTerminated) {
        const why = c.waiting.reason === 'ImagePullBackOff' || c.waiting.reason === 'ErrImagePull' ? 'trying and failing to pull image' : c.waiting.reason === 'ErrImageNeverPull' ? 'image can\'t be pulled' : c.waiting.reason === 'CreateContainerConfigError' ? 'CreateContainerConfigError' : 'ContainerCreating';
        call.fail(1, `Error from server (BadRequest): container "${container}" in pod "${podName}" is waiting to start: ${why}`);
      }
      // A crash-looping container's log is its last run's (c.logs: what the database image printed as it failed).
      return { container, lines: c.logs ?? fault?.logs ?? entry.pod.logs };
    };
    const tail = args.flags.tail === undefined ? -1 : Number(args.flags.tail);
    const emit = (entry, container, lines) => {
      const shown = tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
      const prefix = args.flags.prefix || (selector && args.flags.prefix !== false) ? `[pod/${entry.key.split('/')[1]}/${container}] ` : '';
      for (const line of shown) call.out(`${prefix}${args.flags.timestamps ? `${new Date().toISOString()} ` : ''}${line}\n`);
      return lines.length;
    };
    const printed = withCluster(call, args, (s, cluster, ns) => {
      const entries = pick(s, cluster, ns);
      if (selector && entries.length === 0) call.err(`No resources found in ${ns} namespace.\n`);
      return entries.map((entry) => {
        const { container, lines } = linesOf(s, entry);
        return { entry, container, count: emit(entry, container, lines) };
      });
    });
    if (!args.flags.follow) return;
    // Follow: print lines appended to the pods' logs (sim.update in a test) until the pods are gone
    // or the process is stopped.
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const s = call.state();
      const cluster = resolveContext(s, args.flags.context).cluster;
      if (!cluster) return;
      let alive = 0;
      for (const p of printed) {
        const pod = cluster.pods[p.entry.key];
        if (!pod) continue;
        alive++;
        const lines = s.faults.pods?.[release(pod)]?.logs ?? pod.logs;
        if (lines.length > p.count) {
          emit(p.entry, p.container, lines.slice(p.count));
          p.count = lines.length;
        }
      }
      if (alive === 0) return;
    }
  },
};

const wait = {
  cluster: true,
  flags: { for: 'value', timeout: 'value', 'l|selector': 'value', all: 'bool', 'A|all-namespaces': 'bool' },
  run(call, args) {
    const condition = args.flags.for;
    if (!condition) call.fail(1, 'error: --for must be specified');
    const timeout = parseDuration(args.flags.timeout ?? '30s');
    if (timeout === undefined) call.fail(1, `error: invalid argument "${args.flags.timeout}" for "--timeout" flag`);
    const wanted = targets(call, args.positionals);
    const result = withCluster(call, args, (s, cluster, ns) => {
      const met = [];
      const unmet = [];
      for (const t of wanted) {
        const keys = t.name ? [`${ns}/${t.name}`] : keysOf(cluster, t.kind, ns, false, s).filter((k) => selectorMatches(args.flags.selector ?? '', labelsOf(cluster, t.kind, k, s)));
        for (const key of keys) {
          const label = `${KINDS[t.kind].short.split('.')[0]}/${key.split('/')[1]}`;
          const exists = Boolean(cluster[t.kind][key]);
          let ok;
          if (condition === 'delete') ok = !exists;
          else if (!exists) call.fail(1, notFound(t.kind, key.split('/')[1]));
          else if (/^condition=ready$/i.test(condition) && t.kind === 'pods') ok = podStatus(s, cluster, key, cluster.pods[key]).ready;
          else if (/^condition=available$/i.test(condition) && t.kind === 'deployments') ok = rolloutState(s, cluster, key).ready >= cluster.deployments[key].replicas;
          else call.unexpected(`wait --for=${condition} on ${t.kind} is not simulated`);
          (ok ? met : unmet).push({ label, key });
        }
      }
      return { met, unmet, kind: wanted[0].kind };
    });
    if (result.met.length + result.unmet.length === 0) call.fail(1, 'error: no matching resources found');
    for (const m of result.met) call.out(`${m.label} condition met\n`);
    if (result.unmet.length > 0) call.fail(1, `error: timed out waiting for the condition on ${KINDS[result.kind].api}/${result.unmet[0].key.split('/')[1]}`);
  },
};

/**
 * `kubectl exec POD [-c CONTAINER] [-i] -- COMMAND…`: runs one of the programs the sim models in
 * the pod (tools/postgres.mjs). Errors as kubectl 1.34 prints them: a missing `--` (usage error,
 * text from the binary), an unknown pod (NotFound), an unknown container and an unscheduled pod
 * (the API server's BadRequest texts, seen in real logs), a container that is not running (the
 * kubelet's "container not found", behind the "Internal error occurred:" that the websocket
 * executor of recent kubectl shows; seen in real logs, not recorded here). A command that fails
 * makes kubectl print "command terminated with exit code N" (string in the binary) and exit N.
 * Mutating only when psql is sent a write (CREATE/INSERT…), so a dry run that writes is caught.
 */
const exec = {
  cluster: true,
  flags: { 'c|container': 'value', 'i|stdin': 'bool', 't|tty': 'bool', 'q|quiet': 'bool', 'f|filename': 'list', 'pod-running-timeout': 'value' },
  async run(call, args) {
    const dash = call.argv.indexOf('--');
    const before = dash === -1 ? args.positionals : args.positionals.slice(0, args.positionals.length - (call.argv.length - dash - 1));
    const command = dash === -1 ? [] : call.argv.slice(dash + 1);
    if (dash === -1 && before.length > 1) call.fail(1, "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples");
    if (before.length === 0) call.fail(1, "error: expected 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]'.\nPOD or TYPE/NAME is a required argument for the exec command\nSee 'kubectl exec -h' for help and examples");
    if (command.length === 0) call.fail(1, "error: you must specify at least one command for the container\nSee 'kubectl exec -h' for help and examples");
    if (args.flags.tty) call.unexpected('exec --tty is not simulated');
    const stdin = args.flags.stdin ? await call.readStdin() : '';
    if (command[0]?.split('/').pop() === 'psql' && psqlWrites(stdin)) call.mutating = true;
    let podName = before[0];
    if (podName.includes('/')) {
      const [kind, name] = podName.split('/');
      if (kindOf(call, kind) !== 'pods') call.unexpected(`exec into a ${kind} is not simulated`);
      podName = name;
    }
    const result = withCluster(call, args, (s, cluster, ns) => {
      const key = `${ns}/${podName}`;
      const pod = cluster.pods[key];
      if (!pod) call.fail(1, notFound('pods', podName));
      const containerName = args.flags.container ?? pod.containers[0]?.name;
      const container = pod.containers.find((c) => c.name === containerName);
      if (!container) call.fail(1, `Error from server (BadRequest): container ${containerName} is not valid for pod ${podName}`);
      const st = podStatus(s, cluster, key, pod);
      if (st.unschedulable) call.fail(1, `Error from server (BadRequest): pod ${podName} does not have a host assigned`);
      const cs = st.containers.find((c) => c.name === containerName);
      if (!cs?.running) call.fail(1, `error: Internal error occurred: unable to upgrade connection: container not found ("${containerName}")`);
      const r = runInPod({ cluster, ns, podName, container, ready: st.ready }, command, stdin);
      if (r.changed) call.changed = true;
      return r;
    });
    if (result.unexpected) call.unexpected(result.unexpected);
    call.out(result.stdout);
    if (result.stderr) call.err(result.stderr);
    if (result.code !== 0) call.fail(result.code, `command terminated with exit code ${result.code}`);
  },
};

function versionJson(state, withServer) {
  const v = state.tools.kubectl.version;
  const [major, minor] = v.slice(1).split('.');
  const doc = {
    clientVersion: { major, minor, gitVersion: v, gitCommit: 'ebfac057369b21558006b8815821ab2fb1e29f2d', gitTreeState: 'clean', buildDate: '2026-02-26T20:06:18Z', goVersion: 'go1.24.13', compiler: 'gc', platform: 'linux/amd64' },
    kustomizeVersion: 'v5.7.1',
  };
  if (withServer) {
    const sv = withServer;
    const [smajor, sminor] = sv.slice(1).split('.');
    doc.serverVersion = { major: smajor, minor: sminor, emulationMajor: smajor, emulationMinor: sminor, minCompatibilityMajor: smajor, minCompatibilityMinor: String(Number(sminor) - 1), gitVersion: sv, gitCommit: 'f28b4c9efbca5c5c0af716d9f2d5702667ee8a45', gitTreeState: 'clean', buildDate: '2025-08-27T10:09:04Z', goVersion: 'go1.24.6', compiler: 'gc', platform: 'linux/amd64' };
  }
  return doc;
}

export const commands = {
  version: {
    flags: { client: 'bool', 'o|output': 'value' },
    cluster: (args) => !args.flags.client,
    run(call, args, state) {
      if (args.flags.output !== 'json') call.unexpected('kubectl version is only simulated with -o json');
      if (args.flags.client) {
        call.out(`${JSON.stringify(versionJson(state), null, 2)}\n`);
        return;
      }
      let server;
      try {
        server = withCluster(call, args, (s, cluster, ns, name) => {
          const profile = s.minikube.profiles[cluster.minikubeProfile ?? name];
          return profile?.kubernetesVersion ?? s.tools.kubectl.serverVersion;
        });
      } catch (error) {
        call.out(`${JSON.stringify(versionJson(state), null, 2)}\n`);
        throw error;
      }
      call.out(`${JSON.stringify(versionJson(state, server), null, 2)}\n`);
    },
  },
  'cluster-info': {
    cluster: true,
    flags: {},
    run(call, args) {
      const server = withCluster(call, args, (s, cluster) => cluster.server);
      call.out(`Kubernetes control plane is running at ${server}\nCoreDNS is running at ${server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n`);
    },
  },
  'config get-contexts': {
    flags: { 'o|output': 'value', 'no-headers': 'bool' },
    run(call, args, state) {
      const names = Object.keys(state.kube.contexts).sort();
      if (args.flags.output === 'name') {
        call.out(names.map((n) => `${n}\n`).join(''));
        return;
      }
      if (args.flags.output) call.fail(1, `error: output must be one of '' or 'name'`);
      const shown = args.positionals.length > 0 ? args.positionals : names;
      for (const n of shown) if (!state.kube.contexts[n]) call.fail(1, `error: context ${n} not found`);
      if (!args.flags['no-headers']) call.out('CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n');
      for (const n of shown) call.out(`${state.kube.currentContext === n ? '*' : ' '}         ${n}   ${state.kube.contexts[n].cluster}   ${n}   ${state.kube.contexts[n].namespace ?? ''}\n`);
    },
  },
  'config current-context': {
    flags: {},
    run(call, args, state) {
      if (!state.kube.currentContext) call.fail(1, 'error: current-context is not set');
      call.out(`${state.kube.currentContext}\n`);
    },
  },
  'config use-context': {
    flags: {},
    mutating: true,
    run(call, args) {
      const name = args.positionals[0];
      call.update((s) => {
        if (!s.kube.contexts[name]) call.fail(1, `error: no context exists with the name: "${name}"`);
        if (s.kube.currentContext !== name) call.changed = true;
        s.kube.currentContext = name;
      });
      call.out(`Switched to context "${name}".\n`);
    },
  },
  get,
  create,
  apply,
  delete: remove,
  'rollout status': rolloutStatus,
  'port-forward': portForward({ withCluster, kindOf, notFound }),
  'rollout restart': rolloutRestart,
  logs,
  exec,
  wait,
};
