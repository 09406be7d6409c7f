// How the user's machine reaches the app on the cluster target, chosen before the frontend is
// built (its bundle holds the backend's URL):
// - an Ingress on cluster.host, when the cluster has an IngressClass: one origin, the UI at `/`
//   and the API under the paths the frontend calls (`/api`, less Better Auth's `/api/auth`, which
//   is the Next.js app's; FastAPI's `/docs` and `/openapi.json`) — so no CORS, and no node IP
//   baked into the bundle;
// - LoadBalancer Services, when asked (cluster.expose: loadbalancer; never by default, since on
//   a cloud each is a paid load balancer), once both have an address within timeouts.expose;
// - else kubectl port-forward on localhost (src/deployment/forward.ts), which always works.
// The objects are todo-deploy's own (server-side apply), changed only when their spec differs;
// those of another way than the one chosen now (cluster.host or cluster.expose changed) are
// deleted once it is in place, so the day-two commands never show a URL that is no longer the
// app's, and no paid load balancer is left behind; `teardown` deletes them all.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { services, type Config, type Service } from '../config/schema.js';
import type { Context } from '../context.js';
import { OperationError, PrereqError, UsageError } from '../errors.js';
import type { KubeObject } from '../tools/kubectl.js';
import { managedLabels, namespaceManifest } from './namespace.js';

export type ExposeMode = 'ingress' | 'loadbalancer' | 'port-forward';

export interface Exposure {
  mode: ExposeMode;
  /** What the user opens, and what the frontend's bundle calls. */
  urls: Record<Service, string>;
  changes: string[];
  detail: string;
}

export const INGRESS = 'todo-deploy';
export const publicService = (config: Config, service: Service) => `${config[service].release}-public`;
/** The objects `teardown` removes, whichever mode made them. */
export const exposureObjects = (config: Config) => [`ingress/${INGRESS}`, ...services.map((s) => `service/${publicService(config, s)}`)];

const SPEC = 'todo-deploy.dev/spec';

/** An object of ours, with the digest of its spec in an annotation: applied again only when it differs. */
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: unknown;
}
const POLL_MS = 2000;

type Scope = { kubeContext: string; namespace: string };

/** Chooses how the app is reached and makes it so; `forwarded` are the port-forward URLs (localhost:nodePort). */
export async function exposeApp(ctx: Pick<Context, 'tools' | 'out' | 'dryRun' | 'signal'>, config: Config, kubeContext: string, forwarded: Record<Service, string>): Promise<Exposure> {
  const scope = { kubeContext, namespace: config.namespace };
  const way = await chooseWay(ctx, config, kubeContext);
  // Our objects, whichever way made them: one read for the chosen way's and the others'.
  const found = await ctx.tools.kubectl.getObjects(scope, exposureObjects(config));
  const ours = way.mode === 'ingress' ? [`ingress/${INGRESS}`] : way.mode === 'loadbalancer' ? services.map((s) => `service/${publicService(config, s)}`) : [];
  const isOurs = (o: KubeObject) => ours.includes(`${o.kind.toLowerCase()}/${o.metadata.name}`);
  const exposure =
    way.mode === 'ingress' ? await ingress(ctx, config, scope, way.className, found.filter(isOurs)) : way.mode === 'loadbalancer' ? await loadBalancers(ctx, config, scope, found.filter(isOurs)) : byForward(forwarded, way.why);
  const stale = found.filter((o) => !isOurs(o));
  if (stale.length === 0) return exposure;
  await ctx.tools.kubectl.deleteObjects(scope, stale.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`));
  return { ...exposure, changes: [...exposure.changes, ...stale.map((o) => `${ctx.dryRun ? 'delete' : 'deleted'} ${o.kind}/${o.metadata.name}`)] };
}

/** An Ingress's class: the one chosen, or — when the classes cannot be read — none named, so the cluster's default is used. */
type Way = { mode: 'port-forward'; why: string } | { mode: 'loadbalancer' } | { mode: 'ingress'; className?: string };

async function chooseWay(ctx: Pick<Context, 'tools' | 'out'>, config: Config, kubeContext: string): Promise<Way> {
  const { expose, host } = config.cluster;
  if (expose === 'port-forward') return { mode: 'port-forward', why: 'cluster.expose: port-forward' };
  if (expose === 'loadbalancer') return { mode: 'loadbalancer' };
  if (!host) {
    if (expose === 'ingress') throw new UsageError('cluster.expose is ingress, but cluster.host is empty: an Ingress routes a host name.', 'Set cluster.host in todo-deploy.yaml to the name users open (its DNS pointing at the ingress controller), e.g. todo.example.com.');
    return { mode: 'port-forward', why: 'no cluster.host for an Ingress' };
  }
  const read = await ctx.tools.kubectl.ingressClasses(kubeContext);
  if ('unreadable' in read) {
    // Not knowing is not "none": falling back would remove a working Ingress.
    if (expose === 'ingress') return { mode: 'ingress' };
    throw new PrereqError(
      `todo-deploy cannot tell whether "${kubeContext}" has an ingress controller for cluster.host ${host}: the IngressClasses cannot be read (${read.unreadable}).`,
      "Set cluster.expose: ingress to use the cluster's default IngressClass, or cluster.expose: port-forward; or ask the cluster's admin for read access to ingressclasses.",
    );
  }
  const { classes } = read;
  const chosen = classes.find((c) => c.isDefault) ?? (classes.length === 1 ? classes[0] : undefined);
  if (!chosen) {
    const why = classes.length === 0 ? `the context "${kubeContext}" has no IngressClass (no ingress controller)` : `it has several IngressClasses (${classes.map((c) => c.name).join(', ')}) and none is the default`;
    if (expose === 'ingress') throw new PrereqError(`An Ingress cannot be used: ${why}.`, 'Install an ingress controller (ingress-nginx, Traefik…) or mark one IngressClass the default (ingressclass.kubernetes.io/is-default-class: "true"), or set cluster.expose: port-forward.');
    ctx.out.warn(`cluster.host is ${host}, but ${why}: the app is reached by port-forward instead.`);
    return { mode: 'port-forward', why };
  }
  return { mode: 'ingress', className: chosen.name };
}

const byForward = (urls: Record<Service, string>, why: string): Exposure => ({ mode: 'port-forward', urls, changes: [], detail: `kubectl port-forward on localhost (${why})` });

/** The Ingress: the paths the Todo Chatbot's frontend calls on its backend, the rest to the UI. */
export function ingressManifest(config: Config, className: string | undefined): Manifest {
  const to = (path: string, service: Service, pathType = 'Prefix') => ({ path, pathType, backend: { service: { name: config[service].release, port: { number: config[service].port } } } });
  const spec = {
    ...(className && { ingressClassName: className }),
    rules: [{ host: config.cluster.host, http: { paths: [to('/api/auth', 'frontend'), to('/api', 'backend'), to('/docs', 'backend', 'Exact'), to('/openapi.json', 'backend', 'Exact'), to('/', 'frontend')] } }],
  };
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: INGRESS, namespace: config.namespace, labels: managedLabels, annotations: { [SPEC]: digest(spec) } }, spec };
}

/** A LoadBalancer Service of ours in front of a release's pods (the chart's selector labels). */
export function loadBalancerManifest(config: Config, service: Service): Manifest {
  const { release, port } = config[service];
  const spec = { type: 'LoadBalancer', selector: { 'app.kubernetes.io/name': service, 'app.kubernetes.io/instance': release }, ports: [{ name: 'http', port, targetPort: 'http' }] };
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: publicService(config, service), namespace: config.namespace, labels: managedLabels, annotations: { [SPEC]: digest(spec) } }, spec };
}

async function ingress(ctx: Pick<Context, 'tools' | 'dryRun'>, config: Config, scope: Scope, className: string | undefined, current: KubeObject[]): Promise<Exposure> {
  const url = `http://${config.cluster.host}`;
  const manifest = ingressManifest(config, className);
  const changes = await applyChanged(ctx, scope, [manifest], current);
  return { mode: 'ingress', urls: { frontend: url, backend: url }, changes, detail: `Ingress ${INGRESS} (${className ? `class ${className}` : "the cluster's default class"}): ${url}, the API under ${url}/api` };
}

async function loadBalancers(ctx: Pick<Context, 'tools' | 'dryRun' | 'signal'>, config: Config, scope: Scope, current: KubeObject[]): Promise<Exposure> {
  const manifests = services.map((s) => loadBalancerManifest(config, s));
  const names = services.map((s) => `service/${publicService(config, s)}`);
  const changes = await applyChanged(ctx, scope, manifests, current);
  if (ctx.dryRun && changes.length > 0) {
    return { mode: 'loadbalancer', urls: { frontend: `http://<address>:${config.frontend.port}`, backend: `http://<address>:${config.backend.port}` }, changes, detail: 'LoadBalancer Services would be created' };
  }
  const deadline = Date.now() + config.timeouts.expose;
  for (;;) {
    const found = await ctx.tools.kubectl.getObjects(scope, names);
    const address = (s: Service) => addressOf(found.find((o) => o.metadata.name === publicService(config, s)));
    if (services.every(address)) {
      const urls = Object.fromEntries(services.map((s) => [s, `http://${address(s)}:${config[s].port}`])) as Record<Service, string>;
      return { mode: 'loadbalancer', urls, changes, detail: `LoadBalancer Services: ${urls.frontend}, ${urls.backend}` };
    }
    if (Date.now() > deadline) {
      throw new OperationError(
        `The LoadBalancer Services ${names.join(' and ')} got no address within ${Math.round(config.timeouts.expose / 1000)}s: the cluster may have no load balancer controller.`,
        [],
        'Use an Ingress (cluster.expose: ingress with cluster.host) or port-forward (cluster.expose: port-forward), or raise timeouts.expose; `kubectl describe service` shows why it waits.',
      );
    }
    await sleep(POLL_MS, undefined, { signal: ctx.signal });
  }
}

const addressOf = (object: KubeObject | undefined) => {
  const first = object?.status?.loadBalancer?.ingress?.[0];
  return first?.ip ?? first?.hostname;
};

/** Applies the manifests whose spec differs from the cluster's (our annotation says which it holds), with the namespace if it is missing. */
async function applyChanged(ctx: Pick<Context, 'tools' | 'dryRun'>, scope: Scope, manifests: Array<Manifest>, current: KubeObject[]): Promise<string[]> {
  const stale = manifests.filter((m) => {
    return current.find((o) => o.metadata.name === m.metadata.name)?.metadata.annotations?.[SPEC] !== m.metadata.annotations[SPEC];
  });
  if (stale.length === 0) return [];
  const [namespace] = await ctx.tools.kubectl.getObjects({ kubeContext: scope.kubeContext }, [`namespace/${scope.namespace}`]);
  const items = [...(namespace ? [] : [namespaceManifest(scope.namespace)]), ...stale];
  const what = stale.map((m) => `${m.kind}/${m.metadata.name}`);
  await ctx.tools.kubectl.apply({ kubeContext: scope.kubeContext }, { apiVersion: 'v1', kind: 'List', items }, what.join(', '));
  const verb = (name: string) => (current.some((o) => `${o.kind}/${o.metadata.name}` === name) ? 'updated' : 'created');
  return [...(namespace ? [] : [`${ctx.dryRun ? 'create' : 'created'} namespace ${scope.namespace}`]), ...what.map((w) => `${ctx.dryRun ? 'apply' : verb(w)} ${w}`)];
}

const digest = (spec: unknown) => createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);

/** How a deployed app is reached, read-only (day-two commands): our Ingress's host, our LoadBalancers' addresses, else the port-forward URLs. */
export async function readExposure(ctx: Pick<Context, 'tools'>, config: Config, kubeContext: string, forwarded: Record<Service, string>): Promise<Pick<Exposure, 'mode' | 'urls'>> {
  const found = await ctx.tools.kubectl.getObjects({ kubeContext, namespace: config.namespace }, exposureObjects(config));
  const ingressObject = found.find((o) => o.kind === 'Ingress') as (KubeObject & { spec?: { rules?: Array<{ host?: string }> } }) | undefined;
  const host = ingressObject?.spec?.rules?.[0]?.host;
  if (host) return { mode: 'ingress', urls: { frontend: `http://${host}`, backend: `http://${host}` } };
  const address = (s: Service) => addressOf(found.find((o) => o.kind === 'Service' && o.metadata.name === publicService(config, s)));
  if (services.every(address)) return { mode: 'loadbalancer', urls: Object.fromEntries(services.map((s) => [s, `http://${address(s)}:${config[s].port}`])) as Record<Service, string> };
  return { mode: 'port-forward', urls: forwarded };
}
