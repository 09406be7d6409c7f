// The minikube calls the product makes, on the exec seam.
import { OperationError } from '../errors.js';
import type { CommandResult, Exec } from '../tools/exec.js';
import {
  dockerEnvArgs,
  minikubeDeleteArgs,
  minikubeImageBuildArgs,
  minikubeImageListArgs,
  minikubeIpArgs,
  minikubeStartArgs,
  minikubeStatusArgs,
  minikubeStopArgs,
  parseDockerEnv,
  parseMinikubeStatus,
  profileListArgs,
  type MinikubeStatus,
  type StartOptions,
} from '../tools/minikube.js';

export type Minikube = ReturnType<typeof minikubeAdapter>;

export function minikubeAdapter(exec: Exec) {
  const minikube = (args: readonly string[], options: Omit<Parameters<Exec>[0], 'tool' | 'args'>) => exec({ tool: 'minikube', args, ...options });

  return {
    /** A read-only probe for the prerequisite checks: a failure is an answer. */
    probe: (args: readonly string[], timeoutMs: number) => minikube(args, { allowFailure: true, timeoutMs }),

    async status(profile: string): Promise<MinikubeStatus> {
      const result = await minikube(minikubeStatusArgs(profile), { allowFailure: true, timeoutMs: 30_000 });
      return parseMinikubeStatus(result.stdout, result.exitCode);
    },

    start: (options: StartOptions, timeoutMs: number): Promise<CommandResult> => minikube(minikubeStartArgs(options), { mutates: true, timeoutMs }),
    stop: (profile: string, timeoutMs: number) => minikube(minikubeStopArgs(profile), { mutates: true, timeoutMs }),
    delete: (profile: string, timeoutMs: number) => minikube(minikubeDeleteArgs(profile), { mutates: true, timeoutMs }),

    /** `profile list -o json`, unparsed: the callers read the profile's ports and runtime from it. */
    profiles: async (): Promise<string> => (await minikube(profileListArgs, { timeoutMs: 30_000 })).stdout,

    ip: async (profile: string): Promise<string> => (await minikube(minikubeIpArgs(profile), { timeoutMs: 15_000 })).stdout.trim(),

    /** The profile's node IP, or undefined when it is not known (no profile yet): setup asks before the cluster exists. */
    async ipIfKnown(profile: string): Promise<string | undefined> {
      const result = await minikube(minikubeIpArgs(profile), { allowFailure: true, timeoutMs: 10_000 });
      const ip = result.stdout.trim();
      return result.exitCode === 0 && /^[\d.]+$|^[\da-f:]+$/i.test(ip) ? ip : undefined;
    },

    /** `minikube docker-env`, parsed: the variables that point a docker client at the profile's daemon. */
    async dockerEnv(profile: string): Promise<Record<string, string>> {
      const result = await minikube(dockerEnvArgs(profile), { timeoutMs: 30_000 });
      try {
        return parseDockerEnv(result.stdout);
      } catch {
        throw new OperationError('minikube docker-env printed no DOCKER_HOST.', [], `Run \`minikube docker-env -p ${profile}\` to see why; restarting the profile usually helps: minikube stop -p ${profile}, then todo-deploy up.`);
      }
    },

    /** The images the profile's runtime holds, one reference per line. */
    imageList: async (profile: string): Promise<string[]> => (await minikube(minikubeImageListArgs(profile), { timeoutMs: 60_000 })).stdout.split('\n').map((line) => line.trim()),

    imageBuild: (options: Parameters<typeof minikubeImageBuildArgs>[0], timeoutMs: number) => minikube(minikubeImageBuildArgs(options), { mutates: true, timeoutMs }),

    /** `minikube image load` of this machine's images into the profile (the cluster target on a Minikube context). */
    load: (profile: string, refs: readonly string[], timeoutMs: number) => minikube(['image', 'load', ...refs, '--profile', profile], { mutates: true, timeoutMs }),
  };
}
