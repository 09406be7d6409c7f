// The docker calls the product makes, on the exec seam. `env` points a call at a daemon (Minikube's docker-env).
import type { Exec } from '../tools/exec.js';
import { dockerBuildArgs, dockerBuildEnv, imageDetailsArgs, imageInspectArgs, parseImageDetails, parseImageTags, parsePushDigest, type BuildOptions, type ImageDetails } from '../tools/docker.js';

export type Docker = ReturnType<typeof dockerAdapter>;

export function dockerAdapter(exec: Exec) {
  return {
    /** A read-only probe for the prerequisite checks: a failure is an answer. */
    probe: (args: readonly string[], timeoutMs: number) => exec({ tool: 'docker', args, allowFailure: true, timeoutMs }),

    /** Which of the refs the daemon holds, in their familiar form: one call, exit code 1 when one is missing. */
    imagesHeld: async (refs: readonly string[], env: Record<string, string>): Promise<string[]> =>
      parseImageTags((await exec({ tool: 'docker', args: imageInspectArgs(refs), env, allowFailure: true, timeoutMs: 30_000 })).stdout),

    /** The found refs' tags, repository digests and platform (the user's own daemon): one call, exit code 1 when one is missing. */
    imageDetails: async (refs: readonly string[]): Promise<ImageDetails[]> =>
      parseImageDetails((await exec({ tool: 'docker', args: imageDetailsArgs(refs), allowFailure: true, timeoutMs: 30_000 })).stdout),

    /** Pushes a tag with the user's own credentials (docker login); the pushed manifest's digest, or undefined under --dry-run. */
    push: async (ref: string, timeoutMs: number): Promise<{ digest?: string; dryRun: boolean }> => {
      const result = await exec({ tool: 'docker', args: ['push', ref], mutates: true, timeoutMs });
      return { digest: parsePushDigest(result.stdout), dryRun: result.dryRun };
    },

    /** A BuildKit build (DOCKER_BUILDKIT=1, which the shipped Dockerfiles need). */
    build: (options: BuildOptions, env: Record<string, string>, timeoutMs: number) => exec({ tool: 'docker', args: dockerBuildArgs(options), env: { ...env, ...dockerBuildEnv }, mutates: true, timeoutMs }),
  };
}
