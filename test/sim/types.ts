// The simulated toolchain's shared state (state.json in the sim dir) and its call log records
// (calls.jsonl). The executables under tools/ are plain JavaScript and read/write this same shape.

export type ToolName = 'docker' | 'minikube' | 'kubectl' | 'helm' | 'kind' | 'k3d';

export interface ToolsState {
  /** `buildx`: whether a 23+ client has the buildx plugin (default true); a 20.10 client never has it. */
  docker: { installed: boolean; clientVersion: string; apiVersion: string; serverVersion: string; buildx?: boolean };
  minikube: { installed: boolean; version: string; commit: string };
  helm: { installed: boolean; version: string; gitCommit: string; goVersion: string };
  kubectl: { installed: boolean; version: string; serverVersion: string };
  /** `kind load docker-image` (tools/kind.mjs). */
  kind: { installed: boolean; version: string };
  /** `k3d image import` (tools/k3d.mjs); `k3sVersion` is what `k3d version` prints as the default. */
  k3d: { installed: boolean; version: string; k3sVersion: string };
}

export interface ImageRecord {
  id: string;
  created: string;
  labels: Record<string, string>;
  /** Build args as received (names and values): a test can prove NEXT_PUBLIC_* was baked in at build time. */
  buildArgs: Record<string, string>;
  /** `--secret id=…` ids used by the build; never their values. */
  secretIds: string[];
  dockerfile?: string;
  context?: string;
  /** The final stage's USER ('' = the base image's): checked against runAsNonRoot. */
  user?: string;
  /** os/arch[/variant] it was built for: `--platform`, else the daemon's (`docker.platform`, default linux/amd64). */
  platform?: string;
  /** `repository@sha256:…` for each push of it (`docker image inspect`'s RepoDigests are the union over its tags). */
  repoDigests?: string[];
  size: number;
}

/** One manifest a registry holds, by digest. */
export interface RegistryManifest {
  /** The image it was pushed from (or any id, when seeded). */
  imageId?: string;
  /** A single-platform image manifest for this os/arch (what `docker push` from the classic store writes). */
  platform?: string;
  /** Or an image index with a manifest for each of these platforms (a buildx multi-platform push). */
  platforms?: string[];
  size?: number;
}

export interface RegistryRepository {
  /** tag -> digest */
  tags: Record<string, string>;
  /** digest -> manifest */
  manifests: Record<string, RegistryManifest>;
}

/** A registry, keyed by host (`localhost:5001`, `ghcr.io`) in `docker.registries`. */
export interface RegistryState {
  /**
   * 'up' (default); 'refused' (`dial tcp …: connect: connection refused`); 'no-such-host'; 'http'
   * (serves plain HTTP: `http: server gave HTTP response to HTTPS client`, unless docker may use HTTP: `insecure` or a loopback host).
   */
  status?: 'up' | 'refused' | 'no-such-host' | 'http';
  /** The ip:port a dial error names (default 127.0.0.1:<port> for localhost, else 192.0.2.10:<port or 443>). */
  address?: string;
  /** Push and pull need credentials: push needs `loggedIn`, a pod an imagePullSecret with an entry for the host. */
  auth?: boolean;
  /** How it challenges: 'basic' (default: registry:2 with htpasswd; texts recorded) or 'bearer' (a token service: ghcr.io, Docker Hub; texts from the sources). */
  authScheme?: 'bearer' | 'basic';
  /** The user's docker daemon lists it in insecure-registries (plain HTTP allowed; loopback hosts always are). */
  insecure?: boolean;
  /** The user's docker is logged in to it (`docker login` done). */
  loggedIn?: boolean;
  /** stderr of a push refused for auth, e.g. 'denied: requested access to the resource is denied' (default by authScheme). */
  pushError?: string;
  /** Other names of this registry, as the cluster's nodes reach it (KEP-1755's hostFromContainerRuntime, e.g. kind-registry:5000). */
  aliases?: string[];
  /** path (without the host, e.g. `acme/todo/todo-frontend`) -> repository */
  repositories: Record<string, RegistryRepository>;
}

/** Daemon ids: 'host' (the local docker daemon) or 'minikube/<profile>' (the profile's image store). */
export type DaemonId = 'host' | `minikube/${string}`;

export interface DockerState {
  /** The host daemon; a minikube profile's daemon is up exactly when the profile is Running. */
  daemon: 'up' | 'down';
  images: Record<string, Record<string, ImageRecord>>;
  /** Images a registry holds (pushed, or pullable by any cluster): normalised ref -> image id. */
  registry: Record<string, string>;
  /** Registries by host, with their repositories, manifests and faults (`docker push` creates one it does not know). */
  registries?: Record<string, RegistryState>;
  /** The host daemon's native platform (default linux/amd64): what a build without --platform produces. */
  platform?: string;
}

export type ProfileStatus = 'Running' | 'Stopped' | 'Paused';

export interface ProfileState {
  status: ProfileStatus;
  driver: string;
  containerRuntime: 'docker' | 'containerd' | 'cri-o';
  cpus: number;
  /** MiB */
  memory: number;
  kubernetesVersion: string;
  ip: string;
  /** Nodes in the cluster (default 1): `status -o json` prints an array for more, `docker-env` refuses them. */
  nodes?: number;
  /** `--ports` as given, e.g. ['30000:30000']. */
  ports: string[];
  /** For `minikube service --url`: NodePort -> "host:port" actually serving it (tests point it at a local HTTP server). */
  serviceHosts: Record<string, string>;
  /**
   * Test-only: the DOCKER_HOST `docker-env` prints instead of `tcp://<ip>:2376` (with TLS). A
   * `unix://` socket is printed without the TLS variables: the engine tier points it at its own
   * daemon (test/engine/up-builds.test.ts).
   */
  dockerHost?: string;
}

export interface MinikubeState {
  profiles: Record<string, ProfileState>;
}

export interface NamespaceObject {
  labels: Record<string, string>;
  created: string;
}

export interface SecretObject {
  type: string;
  /** base64 values, as the API server stores them. */
  data: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  resourceVersion: number;
  created: string;
  /** Field managers that wrote this object ('kubectl', 'kubectl-client-side-apply', 'helm', …). */
  managers: string[];
  /** Set when a Helm release owns it. */
  release?: string;
}

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** Secrets the container reads: env valueFrom.secretKeyRef (with key), envFrom (no key), mounted volumes. */
  secretRefs: Array<{ secret: string; key?: string; optional?: boolean; volume?: boolean }>;
  ports: number[];
  memoryLimit?: string;
  runAsNonRoot: boolean;
  runAsUser?: number;
  /** Literal env values (`value:`), e.g. PGDATA. */
  env?: Record<string, string>;
  /** Mounts of the StatefulSet's volumeClaimTemplates (by claim template name). */
  claimMounts?: Array<{ name: string; mountPath: string }>;
  /** A bare pod's `command` (a one-shot `true`/`false` terminates). */
  command?: string[];
}

export interface DeploymentObject {
  release?: string;
  /** The pod template's imagePullSecrets (names), when it has any. */
  imagePullSecrets?: string[];
  labels: Record<string, string>;
  selector: Record<string, string>;
  replicas: number;
  generation: number;
  /** Changes whenever the pod template changes; pods carry the hash they were made from. */
  templateHash: string;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  containers: ContainerSpec[];
  created: string;
}

export interface StatefulSetObject {
  release?: string;
  imagePullSecrets?: string[];
  labels: Record<string, string>;
  selector: Record<string, string>;
  replicas: number;
  serviceName: string;
  generation: number;
  templateHash: string;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  containers: ContainerSpec[];
  volumeClaimTemplates: Array<{ name: string; labels: Record<string, string>; accessModes: string[]; storage: string; storageClassName?: string }>;
  created: string;
}

/** A PVC (made by a StatefulSet's volumeClaimTemplates): always Bound; what the database wrote lives on it. */
export interface PersistentVolumeClaimObject {
  labels: Record<string, string>;
  accessModes: string[];
  storage: string;
  storageClassName: string;
  created: string;
  uid: string;
  resourceVersion: number;
  /** The PostgreSQL data directory on the volume: psql's tables and rows (tools/postgres.mjs). */
  postgres?: { initialized: boolean; tables: Record<string, Array<{ token: string; written_at: string }>> };
}

export interface PodObject {
  /** The owning Deployment ("ns/name"), or, for a StatefulSet's pod, `statefulset` and `ordinal`. */
  deployment?: string;
  /** A pod applied by itself (`kubectl apply` of a Pod): no owner, the controllers leave it alone. */
  bare?: true;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  /** Names of the Secrets the kubelet pulls with. */
  imagePullSecrets?: string[];
  statefulset?: string;
  ordinal?: number;
  /** Set on StatefulSet pods: a pod recreated under the same name gets a new one. */
  uid?: string;
  /** The PVCs the pod mounts: claim template name → PVC name. */
  claims?: Array<{ name: string; claimName: string }>;
  templateHash: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The containers of the template the pod was created from. */
  containers: ContainerSpec[];
  created: string;
  /** Lines of the current container's log, and of the previous (crashed) one. */
  logs: string[];
  previousLogs?: string[];
}

export interface ServiceObject {
  release?: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  selector: Record<string, string>;
  /** targetPort: a number, or the name of a container port (a Service applied with `kubectl apply`). */
  ports: Array<{ name?: string; port: number; targetPort: number | string; nodePort?: number }>;
  /** A Service applied with `kubectl apply` (not a release's): its metadata, as the API server keeps it. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managers?: string[];
  created?: string;
  resourceVersion?: number;
}

/** An Ingress applied with `kubectl apply` (networking.k8s.io/v1): its spec kept as sent. */
export interface IngressObject {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: {
    ingressClassName?: string;
    rules?: Array<{ host?: string; http?: { paths: Array<{ path?: string; pathType?: string; backend: { service?: { name: string; port: { number?: number; name?: string } } } }> } }>;
    defaultBackend?: unknown;
    tls?: unknown[];
  };
  managers: string[];
  created: string;
  resourceVersion: number;
}

/** An IngressClass (`kubectl get ingressclass`); `isDefault` is the `ingressclass.kubernetes.io/is-default-class: "true"` annotation. */
export interface IngressClassState {
  name: string;
  isDefault?: boolean;
  /** spec.controller (default k8s.io/ingress-nginx). */
  controller?: string;
}

/** A node: `kubectl get nodes` and the platform pods pull for (the first node's). */
export interface NodeState {
  name: string;
  /** Default linux. */
  operatingSystem?: string;
  /** Default amd64. */
  architecture?: string;
  kubeletVersion?: string;
  containerRuntimeVersion?: string;
  ready?: boolean;
  labels?: Record<string, string>;
}

export interface ConfigMapObject {
  data: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  created?: string;
  resourceVersion?: number;
}

export interface ClusterState {
  /** Set for a cluster that a minikube profile runs: reachable exactly when the profile is Running. */
  minikubeProfile?: string;
  /** For any other cluster (the `cluster` target): reachable or not. */
  reachable: boolean;
  server: string;
  namespaces: Record<string, NamespaceObject>;
  /** Keys are "namespace/name" in all the maps below. */
  secrets: Record<string, SecretObject>;
  deployments: Record<string, DeploymentObject>;
  pods: Record<string, PodObject>;
  services: Record<string, ServiceObject>;
  statefulsets?: Record<string, StatefulSetObject>;
  persistentvolumeclaims?: Record<string, PersistentVolumeClaimObject>;
  /** Failed `helm test` pods (they stay for their logs): "namespace/name" -> their log lines. */
  testPods?: Record<string, { logs: string[] }>;
  /** The last resourceVersion handed out. */
  resourceVersion?: number;
  /** Nodes (default: one per minikube node, named after the profile; a `clusters` option cluster: `<name>-control-plane`), linux/amd64 unless set. */
  nodes?: NodeState[];
  /** ConfigMaps ("namespace/name"), e.g. `kube-public/local-registry-hosting` (harness `localRegistryHosting()`). */
  configmaps?: Record<string, ConfigMapObject>;
  /** RBAC denials: resources ("nodes") or "<namespace>/<resource>" ("kube-public/configmaps") the user may not read or apply (Forbidden). */
  forbidden?: string[];
  /** The user RBAC messages name (default kubernetes-admin). */
  user?: string;
  /** `kubectl port-forward service/NAME` connects here: "namespace/name" -> "host:port" (a test's server). */
  serviceTargets?: Record<string, string>;
  /** Same for `port-forward pod/NAME`. */
  podTargets?: Record<string, string>;
  /** What the nodes pulled: containerd reference -> image (so an IfNotPresent pod keeps running when the registry goes away). */
  nodeImages?: Record<string, { imageId: string; repoDigest?: string; execFormatError?: boolean }>;
  /** Images loaded into the nodes (`kind load docker-image`, `k3d image import`), by normalised ref: pods with IfNotPresent/Never run them. */
  images?: Record<string, ImageRecord>;
  /** The nodes run the host daemon's images (Docker Desktop's Kubernetes): set by default for a cluster named docker-desktop. */
  hostImages?: boolean;
  /** IngressClasses (`kubectl get ingressclass`); none by default (no ingress controller). */
  ingressClasses?: IngressClassState[];
  /** Ingresses applied with `kubectl apply` ("namespace/name"). */
  ingresses?: Record<string, IngressObject>;
  /**
   * A load balancer controller (MetalLB, k3s' ServiceLB, a cloud's): every Service of type
   * LoadBalancer gets `status.loadBalancer.ingress[0].ip` = `ip` (or `.hostname`, as Docker
   * Desktop gives `localhost`, its default here). None by default: they stay pending, as on kind.
   */
  loadBalancer?: { ip?: string; hostname?: string };
}

export interface KubeState {
  currentContext: string | null;
  contexts: Record<string, { cluster: string; namespace?: string }>;
  clusters: Record<string, ClusterState>;
}

export type HelmStatus =
  | 'unknown'
  | 'deployed'
  | 'uninstalled'
  | 'superseded'
  | 'failed'
  | 'uninstalling'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback';

/** What a rendered revision puts in the cluster; keys are "namespace/name". */
export interface ReleaseObjects {
  deployments: Record<string, Omit<DeploymentObject, 'created' | 'generation'>>;
  statefulsets?: Record<string, Omit<StatefulSetObject, 'created' | 'generation'>>;
  services: Record<string, ServiceObject>;
  secrets: Record<string, Omit<SecretObject, 'resourceVersion' | 'created' | 'managers'>>;
  /** Names of the chart's `helm.sh/hook: test` pods. */
  tests: string[];
  /** Those of them whose hook-delete-policy deletes them once they pass. */
  testsDeletedOnSuccess?: string[];
  /** Other rendered objects, as "apiVersion/Kind/namespace/name" (kept, not modelled). */
  others: string[];
}

export interface HelmRevision {
  revision: number;
  status: HelmStatus;
  chart: string;
  chartName: string;
  chartVersion: string;
  app_version: string;
  chartDescription?: string;
  /** The chart's values.yaml. */
  chartDefaults?: Record<string, unknown>;
  updated: string;
  first_deployed: string;
  description: string;
  /** User-supplied values (helm's `config`). */
  values: Record<string, unknown>;
  chartPath: string;
  /** The rendered manifest (`helm get manifest`). */
  manifest?: string;
  objects: ReleaseObjects;
  tests?: string[];
  /** Set on a revision made by a rollback: the revision it went back to. */
  rollback_revision?: number;
  /** The chart's hooks (test pods among them), kept out of the manifest as Helm keeps them. */
  hooks?: HelmHook[];
  /** Helm 4: how the objects were applied (server-side for a release it installed). */
  apply_method?: 'ssa' | 'csa';
  notes?: string;
}

/** A hook as Helm stores it (and prints it in `helm status -o json`). */
export interface HelmHook {
  name: string;
  kind: string;
  path: string;
  manifest: string;
  events: string[];
  delete_policies?: string[];
  last_run?: { started_at: string; completed_at: string; phase: string };
}

export interface HelmState {
  /** cluster name -> "namespace/release" -> revisions, oldest first. */
  releases: Record<string, Record<string, HelmRevision[]>>;
}

export type PodFault =
  | { state: 'CrashLoopBackOff'; logs?: string[]; previousLogs?: string[]; exitCode?: number; restartCount?: number }
  | { state: 'ImagePullBackOff' | 'ErrImagePull' | 'ErrImageNeverPull'; message?: string }
  | { state: 'CreateContainerConfigError'; message?: string }
  | { state: 'OOMKilled'; restartCount?: number; logs?: string[]; previousLogs?: string[] }
  | { state: 'Unschedulable'; message?: string }
  /** Running but never passes its readiness probe. */
  | { state: 'NotReady'; logs?: string[] };

export interface Faults {
  /** `minikube start` fails (times: how many calls fail before it heals; absent = always). */
  minikubeStart?: { exitCode?: number; reason?: string; message?: string; times?: number };
  /** Builds (docker build, minikube image build) whose tag or context contains `match` fail. */
  builds?: Array<{ match: string; log?: string[]; exitCode?: number; times?: number }>;
  /** `helm upgrade` / `install` of a release fails (before waiting). */
  helmUpgrade?: Array<{ release: string; message?: string; times?: number }>;
  /** `helm test` of a release fails. */
  helmTest?: Array<{ release: string; logs?: string[]; times?: number }>;
  /** Pod state for every pod of a release (by release name, i.e. by the instance label). */
  pods?: Record<string, PodFault>;
  /**
   * The database volume cannot be written by the postgres user (minikube's hostPath provisioner on
   * some versions): StatefulSet containers mounting a volumeClaimTemplate crash-loop, their logs
   * the entrypoint's `mkdir: cannot create directory ‘$PGDATA’: Permission denied` (true/'mkdir')
   * or initdb's `could not change permissions of directory` ('initdb').
   */
  databaseVolumeNotWritable?: boolean | 'mkdir' | 'initdb';
  /** A new pod is running but not ready until it is this many milliseconds old (a slow start). */
  podStartMs?: number;
  /** A failed pull shows ErrImagePull while the pod is younger than this (ms, default 1000), then ImagePullBackOff. */
  imagePullBackOffAfterMs?: number;
  /** Rollouts that never finish: `timeout` (kubectl waits out its --timeout) or `progressDeadline`. */
  rollout?: Record<string, 'timeout' | 'progressDeadline'>;
  /**
   * Milliseconds to sleep per call, looked up by the longest matching key: "helm upgrade",
   * "kubectl rollout status", "kubectl rollout", "docker build", "minikube start", "docker", "default".
   */
  latency?: Record<string, number>;
  /**
   * Calls held at the point where they would spend their latency, by the same keys ("docker
   * build", "helm upgrade", "kubectl"), until the test removes the key (`sim.release`).
   * A held call is listed in `SimState.held`.
   */
  hold?: string[];
}

/** A call waiting on a `faults.hold` key. */
export interface HeldCall {
  pid: number;
  key: string;
  tool: ToolName;
  command: string;
  argv: string[];
}

export interface SimState {
  version: 1;
  tools: ToolsState;
  docker: DockerState;
  minikube: MinikubeState;
  kube: KubeState;
  helm: HelmState;
  faults: Faults;
  /** Calls waiting on a `faults.hold` key right now. */
  held?: HeldCall[];
  /** Where the sim lives, and the real helm that renders charts; read-only for the tools. */
  config: { dir: string; home: string; kubeconfig: string; realHelm: string };
}

export interface CallRecord {
  tool: ToolName;
  argv: string[];
  /** The stdin the tool consumed ('' when the command reads none). */
  stdin: string;
  env: Partial<Record<'DOCKER_HOST' | 'DOCKER_TLS_VERIFY' | 'DOCKER_CERT_PATH' | 'MINIKUBE_ACTIVE_DOCKERD' | 'DOCKER_BUILDKIT' | 'KUBECONFIG', string>>;
  /** Names (not values) of every variable in the call's environment. */
  envKeys: string[];
  cwd: string;
  /** Epoch milliseconds, sub-millisecond resolution. */
  start: number;
  end: number;
  pid: number;
  /** The subcommand path the simulator recognised, e.g. "rollout status" ('' if none). */
  command: string;
  exitCode: number;
  /** The call is one that changes something (build, start, apply, upgrade…), whatever its outcome. */
  mutating: boolean;
  /** The call did change the simulated world. */
  changed: boolean;
  stdout: string;
  stderr: string;
  unexpected?: true;
  safety?: true;
  internalError?: true;
  /**
   * Engine tier only (test/engine/real-docker.mjs): the call ran the real docker client, with
   * this argv (`argv` is what the product passed), as this pid, and it ended so (`exitCode` is
   * logged as the simulated tools log it: 130 for a call interrupted by SIGINT).
   */
  real?: { argv: string[]; pid: number; exitCode: number | null; signal: NodeJS.Signals | null };
}

export type DeepPartial<T> = T extends Array<infer _>
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
