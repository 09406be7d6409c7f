// The node suite's setup (npm run test:cluster, second half): the control plane and a real node
// (control-plane.ts, node.ts) in the tier's namespaces; the tier's Docker Engine on the host's
// namespace with the stand-in bases under the names the shipped Dockerfiles default to (as the
// engine tier has them); the pause image; a PostgreSQL for the backend inside the node's network
// namespace (at the node's address: the pods reach it, nothing off the machine does); for the
// in-cluster database, the PostgreSQL stand-in image (../../engine/bases/postgres.Dockerfile) in
// the node's containerd and a default StorageClass (../storage.ts); for the cluster target, two
// OCI registries on the node's address (../registry.ts: plain, and with Basic authentication),
// which the tier's Docker Engine pushes to and the node's containerd pulls from over plain HTTP.
// Everything is stopped at the end, however the run ends (the StorageClass and the images go with
// the node).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensurePostgresStandIn, ensureStandIns, tagAsDefaultBases } from '../../engine/bases.js';
import { startDaemon } from '../../engine/daemon.js';
import { dockerClient } from '../../engine/docker-client.js';
import { createPostgres } from '../../engine/postgres.js';
import { startControlPlane } from '../control-plane.js';
import { ensurePauseImage, importImages } from '../images.mjs';
import { nodeIp, podRange } from '../namespaces.js';
import { containerdSocket } from '../node.js';
import { authRegistryHost, authRegistryPort, refusedRegistryHost, registryHost, registryPort, startRegistry } from '../registry.js';
import { createDefaultStorageClass } from '../storage.js';

export const CACHE = process.env.TODO_DEPLOY_CLUSTER_CACHE ?? '/var/cache/todo-deploy-cluster';

declare module 'vitest' {
  export interface ProvidedContext {
    node: { kubeconfig: string; dir: string; dockerHost: string; containerd: string; databaseUrl: string; serverVersion: string; setupMs: number; postgresImage: string; postgresImageMs: number };
    /**
     * The cluster target's registries, both inside the node's namespace, plain HTTP: `host`
     * takes anonymous pushes and pulls; `authHost` asks for `username`/`password` (Basic) for
     * both. The tier's Docker Engine (node.dockerHost) pushes to both (`docker login
     * --password-stdin` for the second), the node pulls from both (an imagePullSecret of type
     * kubernetes.io/dockerconfigjson for the second).
     */
    registry: { host: string; authHost: string; username: string; password: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
  // Debian's packages, when missing: the engine tier's (docker.io, debootstrap, postgresql) and the node's.
  for (const installer of ['../../engine/install.sh', '../install.sh']) execFileSync('bash', [here(installer)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const bin = execFileSync(here('../build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
  mkdirSync(CACHE, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const daemon = await startDaemon({ dataRoot: `${CACHE}/docker`, insecureRegistries: [registryHost, authRegistryHost, refusedRegistryHost] });
    stops.push(() => daemon.stop());
    const docker = dockerClient(daemon.host);
    const standIns = await ensureStandIns(docker);
    await tagAsDefaultBases(docker, standIns);
    await ensurePauseImage(daemon.host);
    // Built once per input hash (cached in the tier's daemon), about 20 s with a warm apt proxy.
    const pgStarted = Date.now();
    const postgresImage = await ensurePostgresStandIn(docker, standIns);
    const postgresImageMs = Date.now() - pgStarted;
    const plane = await startControlPlane(bin, { dockerHost: daemon.host });
    stops.push(() => plane.stop());
    // The database's folder is the postgres user's, inside this one.
    chmodSync(plane.dir, 0o711);
    const pg = await createPostgres({ parent: plane.dir, host: nodeIp, clients: podRange, launch: (b, args, user) => plane.ns.enter(b, args, { user }) });
    stops.push(() => pg.remove());
    await pg.start();
    // What the in-cluster database needs from the node: its image (never pulled) and a default StorageClass.
    await importImages({ dockerHost: daemon.host, containerd: containerdSocket(plane.dir), refs: [postgresImage] });
    await createDefaultStorageClass(plane.kubeconfig);
    const registries = { bin, ns: plane.ns, nodeDir: plane.dir };
    const registry = await startRegistry({ ...registries, port: registryPort });
    stops.push(() => registry.stop());
    const authRegistry = await startRegistry({ ...registries, port: authRegistryPort, auth: true });
    stops.push(() => authRegistry.stop());
    project.provide('node', {
      kubeconfig: plane.kubeconfig,
      dir: plane.dir,
      dockerHost: daemon.host,
      containerd: containerdSocket(plane.dir),
      databaseUrl: pg.url,
      serverVersion: plane.version,
      setupMs: Date.now() - started,
      postgresImage,
      postgresImageMs,
    });
    project.provide('registry', { host: registry.host, authHost: authRegistry.host, ...authRegistry.credentials! });
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
