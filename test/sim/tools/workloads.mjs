// The workload model: Deployments and Services come from the manifests a Helm release renders;
// Pods are created by a tiny "controller" (reconcile) and their status is derived on every read
// from the cluster as it is now: is the image in the node's store, do the Secrets and keys
// exist, does the image's USER satisfy runAsNonRoot, and what faults the scenario injected.
// So fixing the cause (loading the image, creating the Secret, clearing a fault) heals pods,
// as the kubelet's retries would.
import { createHash, randomInt } from 'node:crypto';
import { normalizeRef } from './images.mjs';
import { inFlatRegistry, nodePlatform, nodesOf, parseImageRef, platformMatches, pullFromRegistry, unknownHostPull } from './registry.mjs';

const POD_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(length) {
  let s = '';
  for (let i = 0; i < length; i++) s += POD_SUFFIX_ALPHABET[randomInt(POD_SUFFIX_ALPHABET.length)];
  return s;
}

/** The hash of a pod template; imagePullSecrets count only when there are some (so older templates keep their hashes). */
function podTemplateHash({ containers, podLabels, podAnnotations, imagePullSecrets }) {
  return templateHash({ containers, podLabels, podAnnotations, ...(imagePullSecrets?.length > 0 && { imagePullSecrets }) });
}

function templateHash(template) {
  const digest = createHash('sha256').update(JSON.stringify(template)).digest();
  let s = '';
  for (let i = 0; i < 10; i++) s += POD_SUFFIX_ALPHABET[digest[i] % POD_SUFFIX_ALPHABET.length];
  return s;
}

export function uid(seed) {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A label selector as kubectl takes it: "a=b,c!=d,e", or a matchLabels object. */
export function selectorMatches(selector, labels = {}) {
  if (selector === undefined || selector === '') return true;
  if (typeof selector === 'object') return Object.entries(selector).every(([k, v]) => labels[k] === v);
  return selector.split(',').every((term) => {
    const t = term.trim();
    let m;
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(t))) return labels[m[1]] !== m[2];
    if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(t))) return labels[m[1]] === m[2];
    if ((m = /^!(\S+)$/.exec(t))) return !(m[1] in labels);
    if ((m = /^(\S+)\s+in\s+\((.*)\)$/.exec(t))) return m[2].split(',').map((v) => v.trim()).includes(labels[m[1]]);
    if ((m = /^(\S+)\s+notin\s+\((.*)\)$/.exec(t))) return !m[2].split(',').map((v) => v.trim()).includes(labels[m[1]]);
    return t in labels;
  });
}

function defaultPullPolicy(image) {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

export function containerFrom(c, podSpec, claims = []) {
  const secretRefs = [];
  for (const env of c.env ?? []) {
    const ref = env.valueFrom?.secretKeyRef;
    if (ref) secretRefs.push({ secret: ref.name, key: ref.key, optional: Boolean(ref.optional) });
  }
  for (const from of c.envFrom ?? []) {
    if (from.secretRef) secretRefs.push({ secret: from.secretRef.name, optional: Boolean(from.secretRef.optional) });
  }
  const mounted = new Set((c.volumeMounts ?? []).map((m) => m.name));
  for (const volume of podSpec.volumes ?? []) {
    if (volume.secret && mounted.has(volume.name)) secretRefs.push({ secret: volume.secret.secretName, optional: Boolean(volume.secret.optional), volume: true });
  }
  const sc = c.securityContext ?? {};
  const psc = podSpec.securityContext ?? {};
  const env = {};
  for (const e of c.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  return {
    name: c.name,
    ...(Object.keys(env).length > 0 && { env }),
    ...(claims.length > 0 && { claimMounts: (c.volumeMounts ?? []).filter((m) => claims.includes(m.name)).map((m) => ({ name: m.name, mountPath: m.mountPath })) }),
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image),
    secretRefs,
    ports: (c.ports ?? []).map((p) => p.containerPort),
    memoryLimit: c.resources?.limits?.memory,
    runAsNonRoot: sc.runAsNonRoot ?? psc.runAsNonRoot ?? false,
    runAsUser: sc.runAsUser ?? psc.runAsUser,
  };
}

/**
 * Splits rendered manifests into what the cluster model keeps. Returns
 * { deployments, services, secrets, tests, others } with keys "namespace/name".
 */
export function objectsFromManifests(docs, release, namespace) {
  const out = { deployments: {}, statefulsets: {}, services: {}, secrets: {}, tests: [], testsDeletedOnSuccess: [], others: [] };
  for (const doc of docs) {
    if (!doc || typeof doc !== 'object' || !doc.kind) continue;
    const meta = doc.metadata ?? {};
    const ns = meta.namespace ?? namespace;
    const key = `${ns}/${meta.name}`;
    const hook = meta.annotations?.['helm.sh/hook'] ?? '';
    if (hook.split(',').includes('test')) {
      out.tests.push(meta.name);
      const policy = (meta.annotations?.['helm.sh/hook-delete-policy'] ?? '').split(',').map((p) => p.trim());
      if (policy.includes('hook-succeeded')) out.testsDeletedOnSuccess.push(meta.name);
      continue;
    }
    if (hook) continue;
    if (doc.kind === 'Deployment') {
      const template = doc.spec?.template ?? {};
      const podSpec = template.spec ?? {};
      const containers = (podSpec.containers ?? []).map((c) => containerFrom(c, podSpec));
      const podLabels = template.metadata?.labels ?? {};
      const podAnnotations = template.metadata?.annotations ?? {};
      const imagePullSecrets = (podSpec.imagePullSecrets ?? []).map((r) => r.name);
      out.deployments[key] = {
        ...(imagePullSecrets.length > 0 && { imagePullSecrets }),
        release,
        labels: meta.labels ?? {},
        selector: doc.spec?.selector?.matchLabels ?? {},
        replicas: doc.spec?.replicas ?? 1,
        templateHash: podTemplateHash({ containers, podLabels, podAnnotations, imagePullSecrets }),
        podLabels,
        podAnnotations,
        containers,
      };
    } else if (doc.kind === 'StatefulSet') {
      const template = doc.spec?.template ?? {};
      const podSpec = template.spec ?? {};
      const claimTemplates = (doc.spec?.volumeClaimTemplates ?? []).map((t) => ({
        name: t.metadata?.name,
        labels: t.metadata?.labels ?? {},
        accessModes: t.spec?.accessModes ?? ['ReadWriteOnce'],
        storage: t.spec?.resources?.requests?.storage ?? '1Gi',
        ...(t.spec?.storageClassName !== undefined && { storageClassName: t.spec.storageClassName }),
      }));
      const containers = (podSpec.containers ?? []).map((c) => containerFrom(c, podSpec, claimTemplates.map((t) => t.name)));
      const podLabels = template.metadata?.labels ?? {};
      const podAnnotations = template.metadata?.annotations ?? {};
      const imagePullSecrets = (podSpec.imagePullSecrets ?? []).map((r) => r.name);
      out.statefulsets[key] = {
        ...(imagePullSecrets.length > 0 && { imagePullSecrets }),
        release,
        labels: meta.labels ?? {},
        selector: doc.spec?.selector?.matchLabels ?? {},
        replicas: doc.spec?.replicas ?? 1,
        serviceName: doc.spec?.serviceName ?? '',
        templateHash: podTemplateHash({ containers, podLabels, podAnnotations, imagePullSecrets }),
        podLabels,
        podAnnotations,
        containers,
        volumeClaimTemplates: claimTemplates,
      };
    } else if (doc.kind === 'Service') {
      out.services[key] = {
        release,
        type: doc.spec?.type ?? 'ClusterIP',
        selector: doc.spec?.selector ?? {},
        ports: (doc.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, nodePort: p.nodePort })),
      };
    } else if (doc.kind === 'Secret') {
      const data = { ...(doc.data ?? {}) };
      for (const [k, v] of Object.entries(doc.stringData ?? {})) data[k] = Buffer.from(String(v)).toString('base64');
      out.secrets[key] = { release, type: doc.type ?? 'Opaque', data, labels: meta.labels ?? {}, annotations: meta.annotations ?? {} };
    } else {
      out.others.push(`${doc.apiVersion ?? 'v1'}/${doc.kind}/${key}`);
    }
  }
  return out;
}

/**
 * The images a cluster's nodes hold without pulling: a minikube profile's daemon; Docker
 * Desktop's, the host daemon (`hostImages`); another cluster's, what `kind load docker-image` or
 * `k3d image import` put there (`cluster.images`).
 */
function nodeImageStore(state, cluster) {
  if (cluster.minikubeProfile) return state.docker.images[`minikube/${cluster.minikubeProfile}`] ?? {};
  if (cluster.hostImages) return state.docker.images.host ?? {};
  return cluster.images ?? {};
}

/** PGDATA as the container sets it, else the postgres image's default. */
export function pgdataOf(container) {
  return container.env?.PGDATA ?? '/var/lib/postgresql/data';
}

/**
 * faults.databaseVolumeNotWritable: the claim's volume cannot be written by the postgres user
 * (minikube's hostPath provisioner on some versions), so the image's entrypoint fails and the
 * container crash-loops, its restart count climbing with the kubelet's back-off (10s, 20s, 40s…).
 * `true`/'mkdir': docker-entrypoint.sh's `mkdir -p "$PGDATA"` fails (set -e, exit 1): GNU
 * coreutils' message, which quotes with ‘’ under the image's LANG=en_US.utf8 (gnulib quotearg in
 * a UTF-8 locale; a real pod log of postgres on a root-owned k3s hostPath shows the same; plain
 * '' quotes under LANG=C). 'initdb': the directory exists but initdb cannot chmod it (PG 12+
 * wording, "initdb: error: …", printed after its "fixing permissions …" step on the same line).
 */
function volumeNotWritable(kind, container, podName, ns, pod) {
  const pgdata = pgdataOf(container);
  const logs =
    kind === 'initdb'
      ? [
          'The files belonging to this database system will be owned by user "postgres".',
          'This user must also own the server process.',
          '',
          'The database cluster will be initialized with locale "en_US.utf8".',
          'The default database encoding has accordingly been set to "UTF8".',
          'The default text search configuration will be set to "english".',
          '',
          'Data page checksums are disabled.',
          '',
          `fixing permissions on existing directory ${pgdata} ... initdb: error: could not change permissions of directory "${pgdata}": Operation not permitted`,
        ]
      : [`mkdir: cannot create directory ‘${pgdata}’: Permission denied`];
  const ageSeconds = (Date.now() - Date.parse(pod.created)) / 1000;
  let restarts = 1;
  while (10 * (2 ** restarts - 1) <= ageSeconds && restarts < 30) restarts++;
  return {
    ready: false,
    waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.min(300, 10 * 2 ** (restarts - 1))}s restarting failed container=${container.name} pod=${podName}_${ns}(${pod.uid ?? uid(podName)})` },
    lastTerminated: { reason: 'Error', exitCode: 1 },
    restartCount: restarts,
    logs,
  };
}

/** An image record with this id in any daemon's store (its USER, for runAsNonRoot). */
function imageById(state, id) {
  for (const store of Object.values(state.docker.images)) for (const record of Object.values(store)) if (record.id === id) return record;
  return undefined;
}

/**
 * Whether the container's image is there to run: in the node's store (minikube: the profile's
 * daemon; another cluster: what its nodes pulled before, `cluster.nodeImages`), else pulled for
 * its policy from a modelled registry (tools/registry.mjs), else from the flat `docker.registry`.
 * Returns { image?, execFormatError? } or { waiting: { reason, message } }. A failed pull is
 * ErrImagePull with the CRI error while the pod is younger than faults.imagePullBackOffAfterMs
 * (default 1000), then ImagePullBackOff with the kubelet's `Back-off pulling image "<image>":
 * ErrImagePull: <that error>` (kubernetes pkg/kubelet/images/image_manager.go, 1.32+: prevPullErrMsg).
 */
function pullState(state, cluster, ns, pod, container) {
  const ref = parseImageRef(container.image);
  const store = nodeImageStore(state, cluster);
  const local = ref.digest ? Object.values(store).find((r) => (r.repoDigests ?? []).includes(`${ref.familiarName}@${ref.digest}`)) : store[normalizeRef(container.image)];
  const cached = cluster.nodeImages?.[ref.full];
  const policy = container.imagePullPolicy;
  // A loaded image of another architecture is run all the same: the container fails to exec.
  if (local && policy !== 'Always') return { image: local, execFormatError: !cluster.minikubeProfile && Boolean(local.platform) && !platformMatches(local.platform, nodePlatform(state, cluster)) };
  if (cached && policy !== 'Always') return { image: imageById(state, cached.imageId), execFormatError: cached.execFormatError };
  if (policy === 'Never') return { waiting: { reason: 'ErrImageNeverPull', message: `Container image "${container.image}" is not present with pull policy of Never` } };
  let pulled = pullFromRegistry(state, cluster, ns, pod, container.image);
  // A registry host no scenario set up: the node cannot resolve its name.
  if (pulled === undefined && ref.domain !== 'docker.io' && !inFlatRegistry(state, container.image)) pulled = unknownHostPull(ref);
  if (pulled === undefined) {
    // (As before registries were modelled: a pulled image's USER is not known, so not checked.)
    if (inFlatRegistry(state, container.image)) return { image: policy === 'Always' ? undefined : local };
    return {
      waiting: {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${container.image}": ErrImagePull: failed to pull and unpack image "docker.io/library/${normalizeRef(container.image)}": failed to resolve reference "docker.io/library/${normalizeRef(container.image)}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
      },
    };
  }
  if (!pulled.ok) {
    const age = Date.now() - Date.parse(pod.created);
    if (age < (state.faults.imagePullBackOffAfterMs ?? 1000)) return { waiting: { reason: 'ErrImagePull', message: pulled.message } };
    return { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}": ErrImagePull: ${pulled.message}` } };
  }
  // The node keeps what it pulled (read under the lock, this persists; a read-only caller's copy is discarded).
  cluster.nodeImages ??= {};
  cluster.nodeImages[ref.full] = { imageId: pulled.imageId, repoDigest: pulled.repoDigest, ...(pulled.execFormatError && { execFormatError: true }) };
  return { image: imageById(state, pulled.imageId), repoDigest: pulled.repoDigest, execFormatError: pulled.execFormatError };
}

/** A bare pod's one-shot command: `true` exits 0, `false` 1; anything else keeps running (undefined). */
function oneShotExit(command) {
  const program = command?.[0]?.split('/').pop();
  if (program === 'true') return 0;
  if (program === 'false') return 1;
  return undefined;
}

/**
 * A binary for another architecture: runc's execve fails with ENOEXEC, printed as
 * `exec <path>: exec format error` on the container's stderr, exit code 255 (seen in real pods'
 * logs; not recorded here). A restartPolicy Never pod fails; others crash-loop. The kubelet
 * copies the log's tail into state.terminated.message only for a container whose
 * terminationMessagePolicy is FallbackToLogsOnError (by default, File, the message stays empty).
 */
function execFormatError(container, pod, podName, ns) {
  const program = container.command?.[0] ?? '/usr/local/bin/docker-entrypoint.sh';
  const path = program.startsWith('/') ? program : `/usr/bin/${program}`;
  const logs = [`exec ${path}: exec format error`];
  if (pod.bare && pod.restartPolicy === 'Never') {
    const message = container.terminationMessagePolicy === 'FallbackToLogsOnError' ? `${logs.join('\n')}\n` : undefined;
    return { ready: false, terminated: { reason: 'Error', exitCode: 255, ...(message && { message }) }, restartCount: 0, logs };
  }
  return {
    ready: false,
    waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=${container.name} pod=${podName}_${ns}(${pod.uid ?? uid(podName)})` },
    lastTerminated: { reason: 'Error', exitCode: 255 },
    restartCount: 4,
    logs,
  };
}

/**
 * The state of one container of a pod, derived from the cluster as it is now.
 * Returns { ready, waiting?: {reason, message}, running?: true, lastTerminated?: {reason, exitCode}, restartCount }
 */
function containerState(state, cluster, ns, podName, pod, container) {
  const release = pod.labels['app.kubernetes.io/instance'];
  const fault = state.faults.pods?.[release];
  const waiting = (reason, message) => ({ ready: false, waiting: { reason, message }, restartCount: 0 });

  if (fault && ['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull'].includes(fault.state)) {
    return waiting(fault.state, fault.message ?? `Back-off pulling image "${container.image}"`);
  }
  const pull = pullState(state, cluster, ns, pod, container);
  if (pull.waiting) return { ready: false, waiting: pull.waiting, restartCount: 0 };
  const local = pull.image;
  if (fault?.state === 'CreateContainerConfigError') {
    const ref = container.secretRefs.find((r) => r.key) ?? { secret: `${release}-secrets`, key: 'KEY' };
    return waiting('CreateContainerConfigError', fault.message ?? `couldn't find key ${ref.key} in Secret ${ns}/${ref.secret}`);
  }
  for (const ref of container.secretRefs) {
    const secret = cluster.secrets[`${ns}/${ref.secret}`];
    if (!secret) {
      if (ref.optional) continue;
      if (ref.volume) return waiting('ContainerCreating', '');
      return waiting('CreateContainerConfigError', `secret "${ref.secret}" not found`);
    }
    if (ref.key && !(ref.key in secret.data) && !ref.optional) {
      return waiting('CreateContainerConfigError', `couldn't find key ${ref.key} in Secret ${ns}/${ref.secret}`);
    }
  }
  if (container.runAsNonRoot && container.runAsUser === undefined && local) {
    const user = local.user ?? '';
    const ids = `(pod: "${podName}_${ns}(${uid(podName)})", container: ${container.name})`;
    if (user === '' || user === 'root' || user === '0' || user.startsWith('0:')) {
      return waiting('CreateContainerConfigError', `container has runAsNonRoot and image will run as root ${ids}`);
    }
    if (!/^\d+(:\d+)?$/.test(user)) {
      return waiting('CreateContainerConfigError', `container has runAsNonRoot and image has non-numeric user (${user.split(':')[0]}), cannot verify user is non-root ${ids}`);
    }
  }
  if (fault?.state === 'CrashLoopBackOff') {
    return {
      ready: false,
      waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=${container.name} pod=${podName}_${ns}(${uid(podName)})` },
      lastTerminated: { reason: 'Error', exitCode: fault.exitCode ?? 1 },
      restartCount: fault.restartCount ?? 4,
    };
  }
  if (fault?.state === 'OOMKilled') {
    return {
      ready: false,
      waiting: { reason: 'CrashLoopBackOff', message: `back-off 1m20s restarting failed container=${container.name} pod=${podName}_${ns}(${uid(podName)})` },
      lastTerminated: { reason: 'OOMKilled', exitCode: 137 },
      restartCount: fault.restartCount ?? 3,
    };
  }
  if (pull.execFormatError) return execFormatError(container, pod, podName, ns);
  const exit = pod.bare && pod.restartPolicy !== 'Always' ? oneShotExit(container.command) : undefined;
  if (exit !== undefined) return { ready: false, terminated: { reason: exit === 0 ? 'Completed' : 'Error', exitCode: exit }, restartCount: 0 };
  const ownerName = (pod.deployment ?? pod.statefulset ?? '').split('/')[1];
  const volumeFault = pod.statefulset && (container.claimMounts ?? []).length > 0 ? state.faults.databaseVolumeNotWritable : undefined;
  if (volumeFault) return volumeNotWritable(volumeFault, container, podName, ns, pod);
  if (fault?.state === 'NotReady' || state.faults.rollout?.[ownerName]) return { ready: false, running: true, restartCount: 0 };
  if (state.faults.podStartMs && Date.now() - Date.parse(pod.created) < state.faults.podStartMs) return { ready: false, running: true, restartCount: 0 };
  return { ready: true, running: true, restartCount: 0 };
}

/** The status of a pod: { phase, ready, unschedulable?, containers: [{ name, ...containerState }] }. */
export function podStatus(state, cluster, key, pod) {
  const [ns, name] = key.split('/');
  const fault = state.faults.pods?.[pod.labels['app.kubernetes.io/instance']];
  if (fault?.state === 'Unschedulable') {
    return { phase: 'Pending', ready: false, unschedulable: fault.message ?? '0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.', containers: [] };
  }
  const containers = pod.containers.map((c) => ({ name: c.name, image: c.image, ...containerState(state, cluster, ns, name, pod, c) }));
  const ready = containers.length > 0 && containers.every((c) => c.ready);
  const everRan = containers.some((c) => c.running || c.lastTerminated || c.terminated);
  if (containers.length > 0 && containers.every((c) => c.terminated)) return { phase: containers.every((c) => c.terminated.exitCode === 0) ? 'Succeeded' : 'Failed', ready, containers };
  return { phase: everRan ? 'Running' : 'Pending', ready, containers };
}

/** Pods of a deployment split by template: { current, old } (arrays of keys). */
function podsOf(cluster, deploymentKey) {
  const d = cluster.deployments[deploymentKey];
  const current = [];
  const old = [];
  for (const [key, pod] of Object.entries(cluster.pods)) {
    if (pod.deployment !== deploymentKey) continue;
    (pod.templateHash === d.templateHash ? current : old).push(key);
  }
  return { current, old };
}

function createPod(cluster, deploymentKey) {
  const d = cluster.deployments[deploymentKey];
  const [ns, name] = deploymentKey.split('/');
  let podName;
  do podName = `${name}-${d.templateHash}-${randomSuffix(5)}`;
  while (cluster.pods[`${ns}/${podName}`]);
  cluster.pods[`${ns}/${podName}`] = {
    deployment: deploymentKey,
    templateHash: d.templateHash,
    labels: { ...d.podLabels, 'pod-template-hash': d.templateHash },
    annotations: d.podAnnotations,
    // A pod keeps the template it was made from; the Deployment's may move on.
    containers: d.containers,
    ...(d.imagePullSecrets && { imagePullSecrets: d.imagePullSecrets }),
    created: new Date().toISOString(),
    logs: [],
  };
}

/**
 * The deployment controller, run before every read of a cluster: makes each Deployment's pods
 * match its spec with a rolling update (maxSurge 25%): new pods first, old pods removed once the
 * new ones are all ready. Pods whose Deployment is gone are removed.
 */
export function reconcile(state, cluster) {
  cluster.statefulsets ??= {};
  cluster.persistentvolumeclaims ??= {};
  for (const [key, pod] of Object.entries(cluster.pods)) {
    // A bare pod (kubectl apply of a Pod) has no owner to lose.
    if (pod.bare) continue;
    if (pod.statefulset ? !cluster.statefulsets[pod.statefulset] : !cluster.deployments[pod.deployment]) delete cluster.pods[key];
  }
  reconcileStatefulSets(state, cluster);
  for (const dKey of Object.keys(cluster.deployments)) {
    const d = cluster.deployments[dKey];
    const isReady = (k) => podStatus(state, cluster, k, cluster.pods[k]).ready;
    for (let round = 0; round < 3; round++) {
      const { current, old } = podsOf(cluster, dKey);
      const surge = Math.max(1, Math.ceil(d.replicas * 0.25));
      const newReady = current.length > 0 && current.every(isReady);
      const want = old.length === 0 || newReady ? d.replicas : Math.min(d.replicas, surge);
      for (let i = current.length; i < want; i++) createPod(cluster, dKey);
      for (const extra of current.slice(want)) delete cluster.pods[extra];
      const after = podsOf(cluster, dKey);
      if (after.old.length > 0 && after.current.length === d.replicas && after.current.every(isReady)) {
        for (const k of after.old) delete cluster.pods[k];
        continue;
      }
      if (d.replicas === 0) for (const k of after.old) delete cluster.pods[k];
      break;
    }
  }
}

/**
 * The StatefulSet controller (OrderedReady, RollingUpdate with partition 0): pod <name>-<i> for
 * each ordinal, created only once every lower ordinal is ready; a PVC <claim>-<name>-<i> per
 * volumeClaimTemplate, created with the pod and never deleted by the controller (nor by helm
 * uninstall: they are not in the release's manifest); a pod from an older template is replaced,
 * highest ordinal first, once the others are ready. A replacement has the same name, a new uid.
 */
function reconcileStatefulSets(state, cluster) {
  for (const [sKey, sts] of Object.entries(cluster.statefulsets)) {
    const [ns, name] = sKey.split('/');
    const isReady = (k) => cluster.pods[k] && podStatus(state, cluster, k, cluster.pods[k]).ready;
    for (const [key, pod] of Object.entries(cluster.pods)) {
      if (pod.statefulset === sKey && pod.ordinal >= sts.replicas) delete cluster.pods[key];
    }
    for (let i = 0; i < sts.replicas; i++) {
      const key = `${ns}/${name}-${i}`;
      if (!cluster.pods[key]) {
        createStatefulSetPod(cluster, sKey, i);
        break;
      }
      if (!isReady(key)) break;
    }
    const stale = Object.keys(cluster.pods).filter((k) => cluster.pods[k].statefulset === sKey && cluster.pods[k].templateHash !== sts.templateHash);
    if (stale.length > 0) {
      const highest = stale.sort((a, b) => cluster.pods[b].ordinal - cluster.pods[a].ordinal)[0];
      const others = Object.keys(cluster.pods).filter((k) => cluster.pods[k].statefulset === sKey && k !== highest);
      if (others.every(isReady)) {
        delete cluster.pods[highest];
        createStatefulSetPod(cluster, sKey, Number(highest.split('-').pop()));
      }
    }
  }
}

let podSerial = 0;

function createStatefulSetPod(cluster, sKey, ordinal) {
  const sts = cluster.statefulsets[sKey];
  const [ns, name] = sKey.split('/');
  const podName = `${name}-${ordinal}`;
  const created = new Date().toISOString();
  const claims = [];
  for (const t of sts.volumeClaimTemplates) {
    const claimName = `${t.name}-${podName}`;
    const claimKey = `${ns}/${claimName}`;
    claims.push({ name: t.name, claimName });
    if (!cluster.persistentvolumeclaims[claimKey]) {
      cluster.persistentvolumeclaims[claimKey] = {
        // The StatefulSet controller labels a claim with the template's labels and the selector's.
        labels: { ...t.labels, ...sts.selector },
        accessModes: t.accessModes,
        storage: t.storage,
        storageClassName: t.storageClassName ?? defaultStorageClass(cluster),
        created,
        uid: uid(`${claimKey}/${created}/${process.pid}/${podSerial++}`),
        resourceVersion: nextResourceVersion(cluster),
      };
    }
  }
  const podUid = uid(`${ns}/${podName}/${created}/${process.pid}/${podSerial++}/${Math.random()}`);
  const fresh = sts.volumeClaimTemplates.some((t) => !cluster.persistentvolumeclaims[`${ns}/${t.name}-${podName}`]?.postgres?.initialized);
  cluster.pods[`${ns}/${podName}`] = {
    statefulset: sKey,
    ordinal,
    uid: podUid,
    templateHash: sts.templateHash,
    labels: { ...sts.podLabels, 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': `${name}-${sts.templateHash}`, 'statefulset.kubernetes.io/pod-name': podName },
    annotations: sts.podAnnotations,
    containers: sts.containers,
    ...(sts.imagePullSecrets && { imagePullSecrets: sts.imagePullSecrets }),
    claims,
    created,
    logs: postgresStartLogs(sts.containers, created, fresh),
  };
  // The data directory now holds a cluster (initdb ran on the first start).
  for (const c of claims) {
    const pvc = cluster.persistentvolumeclaims[`${ns}/${c.claimName}`];
    pvc.postgres ??= { initialized: true, tables: {} };
  }
}

/** What the postgres image prints on start: initdb on an empty volume, else it skips it (docker-entrypoint.sh). */
function postgresStartLogs(containers, created, fresh) {
  if (!containers.some((c) => /(^|\/)postgres(:|@|$)/.test(c.image) && (c.claimMounts ?? []).length > 0)) return [];
  const at = `${created.replace('T', ' ').replace('Z', '')} UTC [1]`;
  return [
    ...(fresh
      ? ['The files belonging to this database system will be owned by user "postgres".', 'This user must also own the server process.', '', 'PostgreSQL init process complete; ready for start up.', '']
      : ['', 'PostgreSQL Database directory appears to contain a database; Skipping initialization', '']),
    `${at} LOG:  listening on IPv4 address "0.0.0.0", port 5432`,
    `${at} LOG:  database system is ready to accept connections`,
  ];
}

/** The cluster's default StorageClass: minikube's `standard` (storage-provisioner addon). */
export function defaultStorageClass(cluster) {
  return cluster.minikubeProfile ? 'standard' : '';
}

/** StorageClasses of a cluster: minikube has `standard`, the default, provisioned by its hostPath provisioner. */
export function storageClasses(cluster) {
  return cluster.minikubeProfile ? { standard: { provisioner: 'k8s.io/minikube-hostpath', default: true } } : {};
}

/** Rollout progress of a StatefulSet, as `kubectl rollout status` and `helm --wait` see it. */
export function statefulSetState(state, cluster, sKey) {
  const sts = cluster.statefulsets[sKey];
  const pods = Object.keys(cluster.pods).filter((k) => cluster.pods[k].statefulset === sKey);
  const ready = pods.filter((k) => podStatus(state, cluster, k, cluster.pods[k]).ready).length;
  const updated = pods.filter((k) => cluster.pods[k].templateHash === sts.templateHash).length;
  const current = pods.length - updated;
  return { replicas: sts.replicas, total: pods.length, ready, updated, current, done: ready >= sts.replicas && updated >= sts.replicas };
}

export function statefulSetJson(state, cluster, key) {
  const sts = cluster.statefulsets[key];
  const [ns, name] = key.split('/');
  const r = statefulSetState(state, cluster, key);
  const at = isoSeconds(sts.created);
  const revision = `${name}-${sts.templateHash}`;
  const status = {
    observedGeneration: sts.generation,
    replicas: r.total,
    readyReplicas: r.ready,
    availableReplicas: r.ready,
    currentReplicas: r.updated,
    updatedReplicas: r.updated,
    currentRevision: revision,
    updateRevision: revision,
    collisionCount: 0,
  };
  if (r.ready === 0) {
    delete status.readyReplicas;
    status.availableReplicas = 0;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: {
      name,
      namespace: ns,
      uid: uid(key),
      generation: sts.generation,
      labels: sts.labels,
      ...(sts.release && { annotations: { 'meta.helm.sh/release-name': sts.release, 'meta.helm.sh/release-namespace': ns } }),
      creationTimestamp: at,
    },
    spec: {
      replicas: sts.replicas,
      selector: { matchLabels: sts.selector },
      serviceName: sts.serviceName,
      podManagementPolicy: 'OrderedReady',
      revisionHistoryLimit: 10,
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels: sts.podLabels, ...(Object.keys(sts.podAnnotations).length > 0 && { annotations: sts.podAnnotations }) },
        spec: { containers: sts.containers.map((c) => ({ name: c.name, image: c.image, imagePullPolicy: c.imagePullPolicy })) },
      },
      volumeClaimTemplates: sts.volumeClaimTemplates.map((t) => ({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: t.name, ...(Object.keys(t.labels).length > 0 && { labels: t.labels }) },
        spec: { accessModes: t.accessModes, resources: { requests: { storage: t.storage } }, volumeMode: 'Filesystem', ...(t.storageClassName !== undefined && { storageClassName: t.storageClassName }) },
        status: { phase: 'Pending' },
      })),
    },
    status,
  };
}

/** A PVC as the API server returns it once minikube's hostPath provisioner bound it. */
export function pvcJson(cluster, key) {
  const pvc = cluster.persistentvolumeclaims[key];
  const [ns, name] = key.split('/');
  const provisioned = pvc.storageClassName === 'standard' && cluster.minikubeProfile;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      annotations: {
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        ...(provisioned && { 'volume.beta.kubernetes.io/storage-provisioner': 'k8s.io/minikube-hostpath', 'volume.kubernetes.io/storage-provisioner': 'k8s.io/minikube-hostpath' }),
      },
      creationTimestamp: isoSeconds(pvc.created),
      finalizers: ['kubernetes.io/pvc-protection'],
      ...(Object.keys(pvc.labels).length > 0 && { labels: pvc.labels }),
      name,
      namespace: ns,
      resourceVersion: String(pvc.resourceVersion),
      uid: pvc.uid,
    },
    spec: {
      accessModes: pvc.accessModes,
      resources: { requests: { storage: pvc.storage } },
      storageClassName: pvc.storageClassName,
      volumeMode: 'Filesystem',
      volumeName: `pvc-${pvc.uid}`,
    },
    status: { accessModes: pvc.accessModes, capacity: { storage: pvc.storage }, phase: 'Bound' },
  };
}

/** A StorageClass as minikube's storage-provisioner addon creates it (deploy/addons/storageclass/storageclass.yaml). */
export function storageClassJson(cluster, name) {
  const sc = storageClasses(cluster)[name];
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      annotations: { ...(sc.default && { 'storageclass.kubernetes.io/is-default-class': 'true' }) },
      creationTimestamp: isoSeconds(cluster.namespaces.default?.created ?? new Date().toISOString()),
      labels: { 'addonmanager.kubernetes.io/mode': 'EnsureExists' },
      name,
      uid: uid(`storageclass/${name}`),
    },
    provisioner: sc.provisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  };
}

/** `kubectl rollout restart`: a new pod-template annotation, so a new template hash and new pods. */
export function restartDeployment(d) {
  d.podAnnotations = { ...d.podAnnotations, 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() };
  d.templateHash = podTemplateHash(d);
  d.generation += 1;
}

/** Ready pods a Service would send traffic to. */
export function podsForService(state, cluster, ns, svc) {
  return Object.entries(cluster.pods).filter(([key, pod]) => key.startsWith(`${ns}/`) && selectorMatches(svc.selector, pod.labels) && podStatus(state, cluster, key, pod).ready);
}

/** Rollout progress of a deployment, as `kubectl rollout status` and `helm --wait` see it. */
export function rolloutState(state, cluster, dKey) {
  const d = cluster.deployments[dKey];
  const { current, old } = podsOf(cluster, dKey);
  const readyCurrent = current.filter((k) => podStatus(state, cluster, k, cluster.pods[k]).ready).length;
  const readyOld = old.filter((k) => podStatus(state, cluster, k, cluster.pods[k]).ready).length;
  const name = dKey.split('/')[1];
  return {
    replicas: d.replicas,
    total: current.length + old.length,
    updated: current.length,
    readyCurrent,
    ready: readyCurrent + readyOld,
    done: current.length === d.replicas && readyCurrent === d.replicas && old.length === 0,
    deadlineExceeded: state.faults.rollout?.[name] === 'progressDeadline',
  };
}

/** Kubernetes timestamps have second precision. */
export function isoSeconds(iso) {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** containerd names a pulled image by the first repo digest it knew it under (recorded: pull-auth-ok.json names the plain registry it came from first). */
function firstRepoDigest(cluster, pulled) {
  if (!pulled) return undefined;
  return Object.values(cluster.nodeImages ?? {}).find((i) => i.imageId === pulled.imageId)?.repoDigest ?? pulled.repoDigest;
}

export function podJson(state, cluster, key) {
  const pod = cluster.pods[key];
  const [ns, name] = key.split('/');
  const st = podStatus(state, cluster, key, pod);
  const started = isoSeconds(pod.created);
  // Recorded (cluster-target/pull-ok.json): a completed pod's conditions carry reason PodCompleted.
  const completed = st.phase === 'Succeeded' || st.phase === 'Failed';
  const owner = pod.bare ? '' : pod.statefulset ? pod.statefulset.split('/')[1] : `${pod.deployment.split('/')[1]}-${pod.templateHash}`;
  const conditions = st.unschedulable
    ? [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: st.unschedulable, lastTransitionTime: started, lastProbeTime: null }]
    : [
        { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: started, lastProbeTime: null },
        { type: 'Initialized', status: 'True', lastTransitionTime: started, lastProbeTime: null, ...(completed && { reason: 'PodCompleted' }) },
        { type: 'Ready', status: st.ready ? 'True' : 'False', lastTransitionTime: started, lastProbeTime: null, ...(st.ready ? {} : completed ? { reason: 'PodCompleted' } : { reason: 'ContainersNotReady', message: `containers with unready status: [${st.containers.filter((c) => !c.ready).map((c) => c.name).join(' ')}]` }) },
        { type: 'ContainersReady', status: st.ready ? 'True' : 'False', lastTransitionTime: started, lastProbeTime: null, ...(completed && { reason: 'PodCompleted' }) },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: started, lastProbeTime: null },
      ];
  const status = { phase: st.phase, conditions, qosClass: 'Burstable', startTime: started };
  if (!st.unschedulable) {
    status.hostIP = cluster.minikubeProfile ? '192.168.49.2' : '172.18.0.2';
    status.podIP = `10.244.0.${(parseInt(uid(key).slice(0, 2), 16) % 250) + 3}`;
    status.containerStatuses = st.containers.map((c) => {
      const local = nodeImageStore(state, cluster)[normalizeRef(c.image)];
      const pulled = cluster.nodeImages?.[parseImageRef(c.image).full];
      const cs = {
        name: c.name,
        // containerd reports a digest-pinned image by its id once pulled (recorded: pull-ok.json).
        image: !c.waiting && pulled && parseImageRef(c.image).digest ? pulled.imageId : c.image,
        imageID: c.waiting && ['ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull'].includes(c.waiting.reason) ? '' : (firstRepoDigest(cluster, pulled) ?? `docker://${local?.id ?? state.docker.registry[normalizeRef(c.image)] ?? ''}`),
        ready: c.ready,
        started: Boolean(c.running),
        restartCount: c.restartCount,
        state: c.waiting
          ? { waiting: c.waiting.message ? { reason: c.waiting.reason, message: c.waiting.message } : { reason: c.waiting.reason } }
          : c.terminated
            ? { terminated: { exitCode: c.terminated.exitCode, reason: c.terminated.reason, ...(c.terminated.message && { message: c.terminated.message }), startedAt: started, finishedAt: started, containerID: `containerd://${uid(`${pod.uid ?? key}/${c.name}/now`).replaceAll('-', '')}` } }
            : { running: { startedAt: started } },
        lastState: c.lastTerminated ? { terminated: { exitCode: c.lastTerminated.exitCode, reason: c.lastTerminated.reason, startedAt: started, finishedAt: started, containerID: `docker://${uid(`${key}/${c.name}`).replaceAll('-', '')}` } } : {},
      };
      if (c.running || c.lastTerminated || c.terminated) cs.containerID = `docker://${uid(`${pod.uid ?? key}/${c.name}/now`).replaceAll('-', '')}`;
      return cs;
    });
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: pod.uid ?? uid(key),
      labels: pod.labels,
      annotations: pod.annotations,
      creationTimestamp: started,
      // A StatefulSet names its pods itself (no generateName): a replacement has the same name.
      ...(!pod.statefulset && !pod.bare && { generateName: `${owner}-` }),
      ...(!pod.bare && { ownerReferences: [{ apiVersion: 'apps/v1', kind: pod.statefulset ? 'StatefulSet' : 'ReplicaSet', name: owner, uid: uid(`${ns}/${owner}`), controller: true, blockOwnerDeletion: true }] }),
    },
    spec: {
      containers: pod.containers.map((c) => ({
        name: c.name,
        image: c.image,
        ...(c.command && { command: c.command }),
        imagePullPolicy: c.imagePullPolicy,
        ports: c.ports.map((p) => ({ containerPort: p, protocol: 'TCP' })),
        ...(c.memoryLimit && { resources: { limits: { memory: c.memoryLimit } } }),
      })),
      nodeName: st.unschedulable ? undefined : nodesOf(state, cluster)[0].name,
      restartPolicy: pod.restartPolicy ?? 'Always',
      ...(pod.imagePullSecrets?.length > 0 && { imagePullSecrets: pod.imagePullSecrets.map((name) => ({ name })) }),
      ...(pod.statefulset && { hostname: name, subdomain: cluster.statefulsets?.[pod.statefulset]?.serviceName }),
      ...(pod.claims?.length > 0 && { volumes: pod.claims.map((c) => ({ name: c.name, persistentVolumeClaim: { claimName: c.claimName } })) }),
    },
    status,
  };
}

export function deploymentJson(state, cluster, key) {
  const d = cluster.deployments[key];
  const [ns, name] = key.split('/');
  const r = rolloutState(state, cluster, key);
  const rsName = `${name}-${d.templateHash}`;
  const at = isoSeconds(d.created);
  const progressing = r.deadlineExceeded
    ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }
    : r.done
      ? { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` }
      : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
  const available = r.ready >= d.replicas;
  const status = {
    observedGeneration: d.generation,
    replicas: r.total,
    updatedReplicas: r.updated,
    readyReplicas: r.ready,
    availableReplicas: r.ready,
    conditions: [
      { type: 'Available', status: available ? 'True' : 'False', reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.', lastUpdateTime: at, lastTransitionTime: at },
      { ...progressing, lastUpdateTime: at, lastTransitionTime: at },
    ],
  };
  if (r.total - r.ready > 0) status.unavailableReplicas = r.total - r.ready;
  if (r.ready === 0) {
    delete status.readyReplicas;
    delete status.availableReplicas;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: ns,
      uid: uid(key),
      generation: d.generation,
      labels: d.labels,
      annotations: { 'deployment.kubernetes.io/revision': String(d.generation), ...(d.release ? { 'meta.helm.sh/release-name': d.release, 'meta.helm.sh/release-namespace': ns } : {}) },
      creationTimestamp: at,
    },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: d.selector },
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: d.podLabels, annotations: d.podAnnotations },
        spec: { containers: d.containers.map((c) => ({ name: c.name, image: c.image, imagePullPolicy: c.imagePullPolicy })) },
      },
    },
    status,
  };
}

/**
 * A Service as the API server returns it. A LoadBalancer one has an address once the cluster's
 * load balancer controller gave it one (`cluster.loadBalancer`: an ip, with ipMode VIP as the API
 * server defaults it since 1.30; or a hostname, as Docker Desktop's `localhost`), else an empty
 * status (pending, as on kind).
 */
export function serviceJson(cluster, key) {
  const s = cluster.services[key];
  const [ns, name] = key.split('/');
  const annotations = s.release ? { 'meta.helm.sh/release-name': s.release, 'meta.helm.sh/release-namespace': ns } : s.annotations && Object.keys(s.annotations).length > 0 ? s.annotations : undefined;
  const lb = s.type === 'LoadBalancer' ? cluster.loadBalancer : undefined;
  const address = lb?.ip ? { ip: lb.ip, ipMode: 'VIP' } : lb?.hostname ? { hostname: lb.hostname } : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, uid: uid(key), labels: s.labels ?? {}, ...(annotations && { annotations }), ...(s.resourceVersion && { resourceVersion: String(s.resourceVersion) }), ...(s.created && { creationTimestamp: isoSeconds(s.created) }) },
    spec: {
      type: s.type,
      selector: s.selector,
      clusterIP: `10.96.${parseInt(uid(key).slice(0, 2), 16)}.${parseInt(uid(key).slice(2, 4), 16)}`,
      ports: s.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort, protocol: 'TCP', ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
      ...(s.type === 'LoadBalancer' && { externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true }),
    },
    status: { loadBalancer: address ? { ingress: [address] } : {} },
  };
}

/**
 * Installs the objects of a release revision into the cluster (replacing the previous revision's
 * objects). Returns an error message if the API server would refuse, else undefined.
 */
export function applyReleaseObjects(cluster, release, namespace, objects) {
  for (const key of Object.keys(objects.secrets)) {
    const existing = cluster.secrets[key];
    if (existing && existing.release !== release) {
      const [ns, name] = key.split('/');
      return `Unable to continue with install: Secret "${name}" in namespace "${ns}" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "${release}"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "${namespace}"`;
    }
  }
  const taken = new Map();
  for (const [key, svc] of Object.entries(cluster.services)) {
    if (svc.release === release && key.startsWith(`${namespace}/`)) continue;
    for (const p of svc.ports) if (p.nodePort) taken.set(p.nodePort, key);
  }
  for (const [key, svc] of Object.entries(objects.services)) {
    for (const [i, p] of svc.ports.entries()) {
      if (p.nodePort && taken.has(p.nodePort)) {
        return `Service "${key.split('/')[1]}" is invalid: spec.ports[${i}].nodePort: Invalid value: ${p.nodePort}: provided port is already allocated`;
      }
      if (svc.type !== 'ClusterIP' && !p.nodePort) {
        let port = 30000 + (parseInt(uid(key).slice(0, 4), 16) % 2768);
        while (taken.has(port)) port++;
        p.nodePort = cluster.services[key]?.ports[i]?.nodePort ?? port;
      }
      if (p.nodePort) taken.set(p.nodePort, key);
    }
  }
  removeReleaseObjects(cluster, release, namespace, objects);
  const now = new Date().toISOString();
  for (const [key, d] of Object.entries(objects.deployments)) {
    const previous = cluster.deployments[key];
    const changed = !previous || previous.templateHash !== d.templateHash;
    cluster.deployments[key] = { ...d, created: previous?.created ?? now, generation: (previous?.generation ?? 0) + (changed || previous.replicas !== d.replicas ? 1 : 0) };
  }
  cluster.statefulsets ??= {};
  for (const [key, d] of Object.entries(objects.statefulsets ?? {})) {
    const previous = cluster.statefulsets[key];
    const changed = !previous || previous.templateHash !== d.templateHash;
    cluster.statefulsets[key] = { ...d, created: previous?.created ?? now, generation: (previous?.generation ?? 0) + (changed || previous.replicas !== d.replicas ? 1 : 0) };
  }
  for (const [key, s] of Object.entries(objects.services)) cluster.services[key] = s;
  for (const [key, s] of Object.entries(objects.secrets)) {
    const previous = cluster.secrets[key];
    const same = previous && JSON.stringify(previous.data) === JSON.stringify(s.data);
    cluster.secrets[key] = { ...s, resourceVersion: same ? previous.resourceVersion : nextResourceVersion(cluster), created: previous?.created ?? now, managers: ['helm'] };
  }
  return undefined;
}

/** Removes a release's objects, except those named in `keep` (the next revision's objects). */
export function removeReleaseObjects(cluster, release, namespace, keep = { deployments: {}, services: {}, secrets: {} }) {
  // A StatefulSet's PVCs are not the release's objects: they stay (Helm and Kubernetes both keep them).
  for (const kind of ['deployments', 'statefulsets', 'services', 'secrets']) {
    for (const [key, obj] of Object.entries(cluster[kind] ?? {})) {
      if (obj.release === release && key.startsWith(`${namespace}/`) && !(key in (keep[kind] ?? {}))) delete cluster[kind][key];
    }
  }
}

export function nextResourceVersion(cluster) {
  cluster.resourceVersion = (cluster.resourceVersion ?? 1000) + 1;
  return cluster.resourceVersion;
}

/**
 * Whether the backend behind a NodePort has its database: when the `database-url` of Secret
 * `backend-secrets` (in the Service's namespace) names an in-cluster Service (`db`, `db.ns`,
 * `db.ns.svc`, `db.ns.svc.cluster.local`), the database is reachable exactly when that Service has
 * a ready pod. Returns 'reachable', 'unreachable', or undefined (no such backend, or an external
 * database the sim does not model). The e2e fixture's health server asks this.
 */
export function backendDatabase(state, nodePort) {
  for (const cluster of Object.values(state.kube.clusters)) {
    const svcKey = Object.keys(cluster.services).find((k) => cluster.services[k].ports.some((p) => p.nodePort === nodePort));
    if (!svcKey) continue;
    const ns = svcKey.split('/')[0];
    const encoded = cluster.secrets[`${ns}/backend-secrets`]?.data?.['database-url'];
    if (!encoded) return undefined;
    let host;
    try {
      host = new URL(Buffer.from(encoded, 'base64').toString('utf8')).hostname;
    } catch {
      return undefined;
    }
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.svc(?:\.cluster\.local)?)?)?$/.exec(host);
    if (!m || host === 'localhost') return undefined;
    const dbKey = `${m[3] ?? ns}/${m[1]}`;
    const svc = cluster.services[dbKey];
    return svc && podsForService(state, cluster, dbKey.split('/')[0], svc).length > 0 ? 'reachable' : 'unreachable';
  }
  return undefined;
}
