// Makes sure the Minikube profile runs, and resolves how it is reached: the kube-context and
// the URLs of the NodePorts on the user's host (deployment/access.ts, shared with the day-two
// commands, which never start a cluster).
import type { Context } from '../context.js';
import { ConfigError, ToolError } from '../errors.js';
import { checkTarget, resolveAccess } from '../deployment/access.js';
import { exposeApp } from '../deployment/expose.js';
import { nodePorts, urlsAt } from '../deployment/urls.js';
import { parseExitReason } from '../tools/minikube.js';
import type { Config } from '../config/schema.js';
import { changeText, upStep, type UpInputs } from './results.js';

export function clusterPhase(ctx: Context, inputs: UpInputs) {
  return inputs.config.target === 'cluster' ? connectPhase(ctx, inputs) : startPhase(ctx, inputs);
}

/**
 * How the user's machine reaches the app: on the cluster target an Ingress, LoadBalancers or
 * port-forward (src/deployment/expose.ts), chosen before the images are looked up since the
 * frontend's bundle holds the backend's URL; on Minikube, the NodePorts the cluster phase found.
 */
export const exposePhase = (ctx: Context, { config, secrets }: UpInputs) =>
  upStep({
    id: 'expose',
    needs: ['cluster'],
    ...(config.target === 'cluster' && { title: 'Expose the app' }),
    leftBehind: 'An Ingress or Service of todo-deploy may be half-applied; the next run applies it again.',
    async run({ cluster }) {
      if (config.target !== 'cluster') return { urls: cluster.urls, changes: [], detail: 'NodePorts' };
      const exposure = await exposeApp(ctx, config, cluster.kubeContext, cluster.urls);
      const warning = authUrlMismatch(secrets.BETTER_AUTH_URL, exposure.urls.frontend, ctx.envFile);
      if (warning) ctx.out.warn(warning);
      return exposure;
    },
    detail: (result) => result.detail,
  });

/**
 * Better Auth builds its links and checks request origins with BETTER_AUTH_URL, and the backend
 * allows CORS from it: on a cluster the URL users open is the Ingress's, the LoadBalancer's or
 * the port-forward's, which .env may not say yet.
 */
export function authUrlMismatch(authUrl: string | undefined, opened: string, envFile: string): string | undefined {
  if (!authUrl || !URL.canParse(authUrl) || !URL.canParse(opened) || new URL(authUrl).origin === new URL(opened).origin) return undefined;
  return `BETTER_AUTH_URL in ${envFile} is ${authUrl}, but users open the app at ${opened}: sign-in and the backend's CORS go by BETTER_AUTH_URL. Set BETTER_AUTH_URL=${opened} in ${envFile} and run todo-deploy up again.`;
}

/** The cluster target: an existing context, named by the user (checked before the run started), never started or stopped. */
const connectPhase = (ctx: Context, { config }: UpInputs) =>
  upStep({
    id: 'cluster',
    needs: ['prereqs'],
    title: 'Connect to the cluster',
    async run() {
      const { kubeContext, urls } = await resolveAccess(ctx, config);
      return { kubeContext, live: true, urls, forwarded: true, changes: [], detail: `context "${kubeContext}"; URLs on localhost through kubectl port-forward` };
    },
    detail: (result) => result.detail,
  });

function startPhase(ctx: Context, { config }: UpInputs) {
  let starting = false;
  return upStep({
    id: 'cluster',
    needs: ['prereqs'],
    title: 'Start the cluster',
    leftBehind: () => (starting ? 'The Minikube profile may be half-started; the next run starts it again.' : 'The Minikube profile was not touched.'),
    async run({ prereqs }) {
      const { minikube } = config;
      checkTarget(config);
      const { state } = prereqs.cluster ?? (await ctx.tools.minikube.status(minikube.profile));
      const kubeContext = minikube.profile;
      const changes: string[] = [];
      let detail = `profile "${minikube.profile}" already running`;
      let live = true;
      if (state !== 'running') {
        const started = performance.now();
        starting = !ctx.dryRun;
        const start = await ctx.tools.minikube.start({ ...minikube, ports: nodePorts(config) }, config.timeouts.start).catch((error: unknown) => {
          if (!(error instanceof ToolError)) throw error;
          const resources = resourceHint(error.stderrTail, minikube);
          throw new ToolError(
            `Minikube could not start the profile "${minikube.profile}"${resources ? `: ${resources.what}` : ''}.`,
            error.command,
            error.exitCode,
            error.stderrTail,
            error.timedOut,
            resources?.hint ??
              `minikube's last lines are above. Check that the ${minikube.driver} driver works (is Docker running?); if the profile is broken, \`minikube delete -p ${minikube.profile}\` and run todo-deploy up again.`,
          );
        });
        const verb = state === 'absent' ? 'create' : 'start';
        changes.push(changeText(start.dryRun, verb, `Minikube profile "${minikube.profile}"`));
        live = !start.dryRun;
        detail = start.dryRun ? `would ${verb} profile "${minikube.profile}"` : `${changeText(false, verb, `profile "${minikube.profile}"`)} in ${Math.round((performance.now() - started) / 1000)}s`;
      }
      if (!live) return { kubeContext, live, urls: urlsAt('localhost', config), changes, detail };
      // Unless the prerequisite checks found the profile running (then the dockerEnv read has it
      // already under way), its docker-env is read now, alongside the URLs.
      const readDockerEnv = prereqs.cluster?.state !== 'running' && config.minikube.containerRuntime === 'docker';
      const [access, dockerEnv] = await Promise.all([resolveAccess(ctx, config), readDockerEnv ? ctx.tools.minikube.dockerEnv(minikube.profile) : undefined]);
      checkRuntime(config, access.runtime);
      return { kubeContext, live, urls: access.urls, ...(dockerEnv && { dockerEnv }), changes, detail: `${detail}; context "${kubeContext}"` };
    },
    detail: (result) => result.detail,
  });
}

/**
 * What to change when minikube refuses the CPUs or memory asked of it (RSRC_INSUFFICIENT_CORES,
 * RSRC_INSUFFICIENT_REQ_MEMORY, RSRC_OVER_ALLOC_MEM, RSRC_DOCKER_MEMORY…): the setting, by name.
 */
export function resourceHint(stderr: string, minikube: Config['minikube']): { what: string; hint: string } | undefined {
  const reason = parseExitReason(stderr);
  if (!reason?.startsWith('RSRC_')) return undefined;
  const recreate = `A profile keeps the CPUs and memory it was created with: \`minikube delete -p ${minikube.profile}\` first if it exists, then run todo-deploy up again.`;
  if (/CORES|CPU/.test(reason)) {
    return {
      what: `not enough CPUs for minikube.cpus: ${minikube.cpus} (${reason})`,
      hint: `Set minikube.cpus in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_CPUS) to what Docker can give — at least 2, and no more than Docker Desktop's Settings → Resources allow — or give Docker more CPUs. ${recreate}`,
    };
  }
  if (reason === 'RSRC_INSUFFICIENT_REQ_MEMORY') {
    return { what: `minikube.memory: ${minikube.memory} is too little (${reason})`, hint: `Raise minikube.memory in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_MEMORY) to at least 1800mb; 3g is the default. ${recreate}` };
  }
  if (/MEM/.test(reason)) {
    return {
      what: `minikube.memory: ${minikube.memory} is more than Docker can give (${reason})`,
      hint: `Lower minikube.memory in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_MEMORY) to what minikube's message above says Docker has (at least 1800mb), or give Docker more memory. ${recreate}`,
    };
  }
  return undefined;
}

/** A profile keeps the runtime it was created with: building for another one would never reach its pods. */
function checkRuntime(config: Config, runtime: string | undefined): void {
  const { profile, containerRuntime: wanted } = config.minikube;
  if (!runtime || runtime === wanted) return;
  throw new ConfigError(
    `The Minikube profile "${profile}" runs the ${runtime} container runtime, but minikube.containerRuntime is ${wanted}.`,
    [],
    `Set minikube.containerRuntime: ${runtime} in todo-deploy.yaml (or TODO_DEPLOY_MINIKUBE_CONTAINER_RUNTIME) to use the profile as it is, or recreate it with ${wanted}: minikube delete -p ${profile}, then todo-deploy up.`,
  );
}
