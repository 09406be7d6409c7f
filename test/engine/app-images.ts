// The image builds `up` makes, with the product's own builders: the shipped Dockerfile, the
// content tag (digestContext + tagOf over up's build arguments), the labels, the argv of
// dockerBuildArgs and the environment of dockerBuildEnv. The tier adds only what its daemon and
// this machine need: --network host (no bridge), the stand-in base images as NODE_IMAGE /
// PYTHON_IMAGE / UV_IMAGE, and the TLS proxy's CA bundle as the build secret `ca`.
import { join } from 'node:path';
import type { Config, Service } from '../../src/config/schema.js';
import { digestContext, tagOf } from '../../src/images/content-tag.js';
import { detectPackageManager } from '../../src/images/package-manager.js';
import { buildArgsOf, imageLabels } from '../../src/phases/build.js';
import { dockerBuildArgs, dockerBuildEnv } from '../../src/tools/docker.js';
import { repoRoot } from '../support/helm.js';
import { CA_BUNDLE, type StandIns } from './bases.js';
import { withHostNetwork } from './daemon.js';
import type { Docker } from './docker-client.js';

export interface AppBuild {
  service: Service;
  ref: string;
  tag: string;
  /** The argv up passes to docker. */
  upArgs: string[];
  /** What this tier runs: upArgs with --network host, the stand-in bases and the CA secret. */
  args: string[];
}

/** up's build of one service from `context`; `backendUrl` is what the frontend bakes in. */
export async function appBuild(service: Service, context: string, standIns: StandIns, backendUrl: string): Promise<AppBuild> {
  const dockerfile = join(repoRoot, 'Dockerfiles', `${service}.Dockerfile`);
  // The package manager, found from the app's lockfile as up's preflight finds it.
  const detected = await detectPackageManager(service, context);
  if ('problem' in detected) throw new Error(detected.problem);
  // What buildArgsOf reads: the manager, and the backend URL the frontend is built with.
  const buildArgs = buildArgsOf({ frontend: { backendUrl } } as Config, service, { packageManager: detected.manager, backendUrl });
  const tag = tagOf(await digestContext({ context, dockerfile }), buildArgs);
  const repository = `todo-${service}`;
  const ref = `${repository}:${tag}`;
  const upArgs = dockerBuildArgs({ ref, dockerfile, context, buildArgs, labels: imageLabels({ repository, tag }) });
  const bases = service === 'frontend' ? { NODE_IMAGE: standIns.node } : { PYTHON_IMAGE: standIns.python, UV_IMAGE: standIns.uv };
  const args = withHostNetwork(upArgs);
  // The proxy's CA as a build secret, which the Dockerfiles take for their downloads.
  args.splice(args.length - 1, 0, ...Object.entries(bases).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), '--secret', `id=ca,src=${CA_BUNDLE}`);
  return { service, ref, tag, upArgs, args };
}

export interface Built extends AppBuild {
  durationMs: number;
  /** Bytes, as `docker image inspect` reports .Size. */
  size: number;
  stderr: string;
}

export async function build(docker: Docker, b: AppBuild): Promise<Built> {
  // With up's build environment too (DOCKER_BUILDKIT=1).
  const r = await docker.run(b.args, { env: { ...dockerBuildEnv }, timeoutMs: 20 * 60_000 });
  const size = Number((await docker.run(['image', 'inspect', '--format', '{{.Size}}', b.ref])).stdout.trim());
  return { ...b, durationMs: r.durationMs, size, stderr: r.stderr };
}
