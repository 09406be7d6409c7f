import { parseVersion, type Version } from './version.js';

// One call answers both "is the client installed" and "is the daemon reachable": with the
// daemon down the JSON still carries the client and `Server` is null (exit code non-zero).
export const dockerVersionArgs = ['version', '--format', '{{json .}}'];

export interface DockerVersion {
  client?: Version;
  server?: Version;
}

export function parseDockerVersion(stdout: string): DockerVersion {
  const json = parseJson(stdout) as { Client?: { Version?: string }; Server?: { Version?: string } | null } | undefined;
  return { client: parseVersion(json?.Client?.Version), server: parseVersion(json?.Server?.Version ?? undefined) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.trim().split('\n')[0] ?? '');
  } catch {
    return undefined;
  }
}

// BuildKit, which the shipped Dockerfiles need, comes to a 23+ client through the buildx
// plugin; without it such a client answers `docker: unknown command: docker buildx` (exit 1).
// A 20.10 client has BuildKit built in, used with DOCKER_BUILDKIT=1 (dockerBuildEnv).
export const buildxVersionArgs = ['buildx', 'version'];

/** The first client major that builds through buildx rather than its own BuildKit. */
export const BUILDX_CLIENT_MAJOR = 23;

/** `github.com/docker/buildx v0.24.0 <commit>` → 0.24.0. */
export function parseBuildxVersion(stdout: string): Version | undefined {
  const match = /^github\.com\/docker\/buildx (v\S+)/m.exec(stdout);
  return match ? parseVersion(match[1]) : undefined;
}

export interface BuildOptions {
  ref: string;
  dockerfile: string;
  context: string;
  /** Never a secret: build arguments persist in the image's history. */
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /**
   * Build secrets by id → file: mounted only into the RUN steps that ask for them, never into a
   * layer (the shipped Dockerfiles read `ca`, a CA bundle for downloads behind a TLS-intercepting proxy).
   */
  secrets?: Record<string, string>;
  /** os/arch to build for (the cluster target's nodes'); none: the daemon's own. */
  platform?: string;
  /**
   * false: no provenance attestation (buildx, Docker 23+). With Docker's containerd image store
   * buildx attaches one, and `kind load docker-image` then fails ("content digest … not found",
   * kubernetes-sigs/kind#3795): images loaded into a cluster are built without it.
   */
  provenance?: false;
}

/**
 * The environment of every `docker build`. The shipped Dockerfiles need BuildKit (`RUN --mount`):
 * a 20.10 client uses it only when asked, and a 23+ client without the buildx plugin falls back
 * to the legacy builder, which fails on `--mount` without saying why; asked, it says that buildx
 * is missing (test/contract/recorded/docker/build-*).
 */
export const dockerBuildEnv = { DOCKER_BUILDKIT: '1' } as const;

export function dockerBuildArgs(o: BuildOptions): string[] {
  return [
    'build',
    '--tag', o.ref,
    '--file', o.dockerfile,
    ...(o.platform ? ['--platform', o.platform] : []),
    ...(o.provenance === false ? ['--provenance=false'] : []),
    ...Object.entries(o.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
    ...Object.entries(o.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...Object.entries(o.secrets ?? {}).flatMap(([id, file]) => ['--secret', `id=${id},src=${file}`]),
    o.context,
  ];
}

// One call for several images: each one found prints its tags on a line; a missing one only
// adds an error to stderr (and exit code 1), so whatever is on stdout is what exists.
export const imageInspectArgs = (refs: readonly string[]) => ['image', 'inspect', '--format', '{{json .RepoTags}}', ...refs];

/**
 * A reference as Docker shows it: Docker Hub's implicit `docker.io/` and, for official images,
 * `library/` dropped (`docker.io/alice/web:1` is `alice/web:1`, `docker.io/library/web:1` is
 * `web:1`). Compare references in this form only: Docker lists tags this way whichever way
 * they were written.
 */
export function familiarRef(ref: string): string {
  return ref.replace(/^(?:index\.)?docker\.io\//, '').replace(/^library\/(?=[^/]+$)/, '');
}

/** The tags of the images `imageInspectArgs` found, in their familiar form. */
export function parseImageTags(stdout: string): string[] {
  return stdout.split('\n').flatMap((line) => {
    try {
      return ((JSON.parse(line) as string[] | null) ?? []).map(familiarRef);
    } catch {
      return [];
    }
  });
}

// The same one call for several images, with what the cluster target needs of each: the
// repository digests it was pushed (or pulled) as, and its platform.
export const imageDetailsArgs = (refs: readonly string[]) => [
  'image', 'inspect', '--format', '{"tags":{{json .RepoTags}},"digests":{{json .RepoDigests}},"platform":"{{.Os}}/{{.Architecture}}"}', ...refs,
];

export interface ImageDetails {
  /** Familiar form. */
  tags: string[];
  /** `repository@sha256:…`, familiar form. */
  digests: string[];
  platform: string;
}

export function parseImageDetails(stdout: string): ImageDetails[] {
  return stdout.split('\n').flatMap((line) => {
    try {
      const d = JSON.parse(line) as { tags: string[] | null; digests: string[] | null; platform: string };
      return [{ tags: (d.tags ?? []).map(familiarRef), digests: (d.digests ?? []).map(familiarRef), platform: d.platform }];
    } catch {
      return [];
    }
  });
}

/** `repository:tag` (or with a registry port) → repository. */
export const repositoryOf = (ref: string) => ref.replace(/@.*$/, '').replace(/:[^:/]+$/, '');

/** The digest `docker push` ends with: `<tag>: digest: sha256:… size: N`. */
export function parsePushDigest(stdout: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
}
