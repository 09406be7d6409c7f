// The shipped Dockerfiles, parsed with dockerfile-ast (the parser behind the Dockerfile
// language server) and checked by dockerfile-utils; there is no Docker engine here to build
// them. These are the properties a deploy relies on: a runAsNonRoot pod starts only with a
// numeric non-root USER that matches the chart, no secret lands in an image, builds are
// reproducible from pinned bases, and the backend URL is baked in at build time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { packageManagerBuildArg, packageManagers } from '../../src/images/package-manager.js';
import { repoRoot, type Service } from '../support/helm.js';

const dockerfilePath = (service: Service): string => join(repoRoot, 'Dockerfiles', `${service}.Dockerfile`);
const read = (service: Service): string => readFileSync(dockerfilePath(service), 'utf8');
const parse = (service: Service): Dockerfile => DockerfileParser.parse(read(service));

const expanded = (i: Instruction): string[] => i.getExpandedArguments().map((a) => a.getValue());
/** The whole instruction with its flags (--from, --mount), continuation lines joined. */
const line = (i: Instruction): string => i.toString();

interface Stage {
  name: string | null;
  /** The FROM reference with build arguments resolved to their defaults. */
  from: string;
  instructions: Instruction[];
}

function stagesOf(df: Dockerfile): Stage[] {
  const stages: Stage[] = [];
  for (const i of df.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const [from = '', as, name] = expanded(i);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name ?? null : null, from, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(i);
    }
  }
  return stages;
}

/** Stage names resolved to the external image each one starts from. */
function baseImages(stages: Stage[]): string[] {
  const names = new Set(stages.map((s) => s.name).filter((n) => n !== null));
  return stages.map((s) => s.from).filter((from) => !names.has(from));
}

// Names Docker's own build check (SecretsUsedInArgOrEnv) treats as secrets, and this app's.
const secretName = /(^|_)(API_?KEY|AUTH|CREDENTIALS?|KEY|PASSWORD|PASSWD|PWORD|SECRET|TOKEN|DATABASE_URL)(_|$)/i;
const secretValue = /sk-[A-Za-z0-9]|postgres(ql)?:\/\/[^/\s]*:[^@\s]*@|BEGIN [A-Z ]*PRIVATE KEY/;

/** ARG and ENV as [name, value] pairs, ENV's several-per-line form included. */
function argsAndEnvs(df: Dockerfile): [keyword: string, name: string, value: string][] {
  const out: [string, string, string][] = [];
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword();
    if (keyword !== 'ARG' && keyword !== 'ENV') continue;
    for (const a of i.getArguments()) {
      const text = a.getValue();
      const eq = text.indexOf('=');
      out.push([keyword, eq < 0 ? text : text.slice(0, eq), eq < 0 ? '' : text.slice(eq + 1)]);
    }
  }
  return out;
}

const chartRunAsUser = (service: Service): unknown =>
  parseYaml(readFileSync(join(repoRoot, 'charts', service, 'values.yaml'), 'utf8')).podSecurityContext.runAsUser;

describe.each(['frontend', 'backend'] as Service[])('%s.Dockerfile', (service) => {
  const df = parse(service);
  const stages = stagesOf(df);
  const final = stages.at(-1)!;
  const finalOf = (keyword: string): Instruction[] => final.instructions.filter((i) => i.getKeyword() === keyword);

  it('has no errors by dockerfile-utils', () => {
    const errors = validate(read(service)).filter((d) => d.severity === 1);
    expect(errors.map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  // A real Engine showed it: with `# syntax=docker/dockerfile:1` BuildKit resolves that image
  // from Docker Hub before the first step, so every build fails offline.
  it('has no syntax directive, so a build pulls nothing but its base images', () => {
    expect(read(service)).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('is multi-stage, and the final stage only copies from build stages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const copies = finalOf('COPY').map(line);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(/^COPY --from=\S+ /);
  });

  it('runs as a numeric non-root user, the one the chart runs its pods as', () => {
    const users = finalOf('USER');
    expect(users.length).toBeGreaterThan(0);
    const user = expanded(users.at(-1)!).join(' ');
    const match = /^(\d+)(?::(\d+))?$/.exec(user);
    expect(match, `USER ${user} must be numeric: a runAsNonRoot pod cannot verify a named user`).not.toBeNull();
    expect(Number(match![1])).not.toBe(0);
    if (match![2] !== undefined) expect(Number(match![2])).not.toBe(0);
    expect(Number(match![1])).toBe(chartRunAsUser(service));
  });

  it('has a HEALTHCHECK on the health endpoint that needs no curl or wget', () => {
    const checks = finalOf('HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const text = checks[0]!.getArgumentsContent() ?? '';
    expect(text).toMatch(/CMD \[/);
    expect(text).toContain('/api/health');
    expect(text).not.toMatch(/\b(curl|wget)\b/);
  });

  // A floating tag (3.13-slim, lts-alpine) changes the image under an unchanged Dockerfile:
  // todo-deploy's content-derived image tags would then stop describing what they hold.
  it('pins every base image to a full version tag', () => {
    const bases = baseImages(stages);
    expect(bases.length).toBeGreaterThan(0);
    for (const image of bases) {
      expect(image, 'a build argument left unresolved').not.toContain('$');
      const tag = /:([^/:@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
      expect(tag, `${image} has no tag`).toBeDefined();
      expect(tag, image).toMatch(/^\d+\.\d+\.\d+(-|$)/);
      expect(tag).not.toMatch(/latest/);
    }
  });

  it('puts no secret in an ARG or ENV', () => {
    const pairs = argsAndEnvs(df);
    expect(pairs.length).toBeGreaterThan(0);
    for (const [keyword, name, value] of pairs) {
      expect(name, `${keyword} ${name}`).not.toMatch(secretName);
      expect(value, `${keyword} ${name}`).not.toMatch(secretValue);
    }
  });

  it('starts its server in exec form, so it is PID 1 and receives SIGTERM', () => {
    const cmds = finalOf('CMD');
    expect(cmds).toHaveLength(1);
    expect(cmds[0]!.getArgumentsContent()).toMatch(/^\[/);
    expect(finalOf('ENTRYPOINT')).toHaveLength(0);
  });

  it('uses BuildKit cache mounts for the dependency install', () => {
    const runs = df.getInstructions().filter((i) => i.getKeyword() === 'RUN');
    expect(runs.some((i) => /^RUN --mount=type=cache\b/.test(line(i)))).toBe(true);
  });

  it('has a .dockerignore beside it that keeps secrets and host builds out of the context', () => {
    const ignorePath = `${dockerfilePath(service)}.dockerignore`;
    expect(existsSync(ignorePath)).toBe(true);
    const lines = readFileSync(ignorePath, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // At any depth (test/unit/content-tag.test.ts proves it with the matcher).
    for (const pattern of ['**/.env', '**/.env.*', '**/*.pem', '**/*.key', '.git']) expect(lines).toContain(pattern);
    expect(lines).toContain(service === 'frontend' ? 'node_modules' : '.venv');
    // A later "!" line would put them back.
    for (const negated of lines.filter((l) => l.startsWith('!'))) expect(negated).toMatch(/^!\*\*\/\.env\.example$/);
  });
});

/** The ARGs before the first FROM (which FROM lines may use), with their defaults, overridden by `buildArgs`. */
function globalArgs(df: Dockerfile, buildArgs: Record<string, string>): Record<string, string> {
  const args: Record<string, string> = {};
  for (const i of df.getInstructions()) {
    if (i.getKeyword() === 'FROM') break;
    if (i.getKeyword() !== 'ARG') continue;
    const [name = '', value = ''] = (i.getArgumentsContent() ?? '').split('=');
    args[name] = value;
  }
  return { ...args, ...buildArgs };
}

interface BuiltStage {
  name: string | null;
  /** The FROM reference with these build arguments put in. */
  from: string;
  instructions: Instruction[];
}

/**
 * The stages BuildKit builds for the final stage with these build arguments: those it reaches
 * through FROM and COPY --from, each FROM resolved (`FROM deps-${PACKAGE_MANAGER}`), in file order.
 */
function builtStages(df: Dockerfile, buildArgs: Record<string, string>): BuiltStage[] {
  const args = globalArgs(df, buildArgs);
  const put = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? '');
  const stages = stagesOf(df).map((s, n) => {
    const from = df.getInstructions().filter((i) => i.getKeyword() === 'FROM')[n]!;
    return { ...s, from: put((from.getArgumentsContent() ?? '').split(/\s+/)[0]!) };
  });
  const byName = new Map(stages.map((s) => [s.name, s]));
  const reached = new Set<BuiltStage>();
  const visit = (stage: BuiltStage) => {
    if (reached.has(stage)) return;
    reached.add(stage);
    const from = byName.get(stage.from);
    if (from) visit(from);
    for (const i of stage.instructions) {
      const copyFrom = /--from=(\S+)/.exec(line(i))?.[1];
      if (i.getKeyword() === 'COPY' && copyFrom && byName.get(copyFrom)) visit(byName.get(copyFrom)!);
    }
  };
  visit(stages.at(-1)!);
  return stages.filter((s) => reached.has(s));
}

const runs = (stages: BuiltStage[]) => stages.flatMap((s) => s.instructions.filter((i) => i.getKeyword() === 'RUN'));
const caMount = (i: Instruction) => /--mount=type=secret,id=ca\b/.test(line(i));

// Each manager: the stage it installs in, the lockfile, and its install command (a RUN's
// arguments, continuation lines joined, end with it).
const variants = [
  { service: 'frontend', manager: 'npm', stage: 'deps-npm', lockfile: 'package-lock.json', install: /;\s+npm ci$/ },
  { service: 'frontend', manager: 'yarn', stage: 'deps-yarn', lockfile: 'yarn.lock', install: /1\.\*\) yarn install --frozen-lockfile ;;[\s\S]*\*\) yarn install --immutable ;;/ },
  { service: 'frontend', manager: 'pnpm', stage: 'deps-pnpm', lockfile: 'pnpm-lock.yaml', install: /;\s+pnpm install --frozen-lockfile$/ },
  { service: 'backend', manager: 'uv', stage: 'install-uv', lockfile: 'uv.lock', install: /;\s+uv sync --locked --no-install-project --no-editable$/ },
  { service: 'backend', manager: 'pip', stage: 'install-pip', lockfile: 'requirements.txt', install: /;\s+\/app\/\.venv\/bin\/pip install --requirement requirements\.txt$/ },
] as const;

describe('a stage per package manager, picked by the PACKAGE_MANAGER build argument', () => {
  it.each(['frontend', 'backend'] as const)("%s: one install stage for each manager todo-deploy detects, and the default is one of them", (service) => {
    const df = parse(service);
    const prefix = service === 'frontend' ? 'deps-' : 'install-';
    const managers = stagesOf(df).flatMap((s) => (s.name?.startsWith(prefix) ? [s.name.slice(prefix.length)] : []));
    expect(managers.sort()).toEqual([...packageManagers[service]].sort());
    // The build argument up passes (test/unit/package-manager.test.ts) is the one declared before the first FROM, which FROM can use.
    const [name] = Object.keys(packageManagerBuildArg(packageManagers[service][0]));
    expect(packageManagers[service]).toContain(globalArgs(df, {})[name!]);
  });

  describe.each(variants)('$service with $manager', ({ service, manager, stage, lockfile, install }) => {
    const df = parse(service);
    const built = builtStages(df, { PACKAGE_MANAGER: manager });
    const installStage = built.find((s) => s.name === stage);
    const installAt = installStage?.instructions.findIndex((i) => i.getKeyword() === 'RUN' && install.test(i.getArgumentsContent() ?? '')) ?? -1;
    /** The chain of stages from the install stage to the one the runtime copies the app from. */
    const afterInstall = built.slice(built.indexOf(installStage!));

    it(`builds ${stage} and no other manager's stage`, () => {
      expect(installStage).toBeDefined();
      const others = packageManagers[service].filter((m) => m !== manager);
      for (const other of others) expect(built.map((s) => s.name)).not.toContain(stage.replace(manager, other));
      expect(built.at(-1)!.name).toBe(stagesOf(df).at(-1)!.name);
    });

    it(`installs from ${lockfile} before any source arrives, with a cache mount: the dependency layer survives source changes`, () => {
      expect(installAt, `a RUN matching ${install}`).toBeGreaterThanOrEqual(0);
      const run = installStage!.instructions[installAt]!;
      expect(line(run)).toMatch(/--mount=type=cache,/);
      const before = installStage!.instructions.slice(0, installAt);
      const sources = before.filter((i) => i.getKeyword() === 'COPY').flatMap((i) => expanded(i).slice(0, -1));
      expect(sources.some((src) => src === '.' || src === './'), 'a COPY of the whole context before the install').toBe(false);
      const bound = /--mount=type=bind,source=(\S+?),/.exec(line(run))?.[1];
      expect([...sources, bound]).toContain(lockfile);
      // …and the sources do arrive, after it.
      const rest = [...installStage!.instructions.slice(installAt + 1), ...afterInstall.slice(1).flatMap((s) => s.instructions)];
      expect(rest.some((i) => i.getKeyword() === 'COPY' && /^\.\/? /.test(i.getArgumentsContent() ?? ''))).toBe(true);
    });

    it('mounts the ca build secret into the download steps only, and nothing else names it', () => {
      const downloads = runs(built).filter((i) => install.test(i.getArgumentsContent() ?? '') || /\b(uv sync|run build)\b/.test(i.getArgumentsContent() ?? ''));
      expect(downloads.length).toBeGreaterThan(0);
      expect(runs(built).filter(caMount)).toEqual(downloads);
      for (const i of built.flatMap((s) => s.instructions).filter((i) => i.getKeyword() !== 'RUN')) expect(line(i)).not.toContain('/run/secrets');
    });
  });
});

describe('frontend.Dockerfile specifics', () => {
  const df = parse('frontend');
  const stages = stagesOf(df);
  const text = read('frontend');

  it.each(packageManagers.frontend)('with %s: bakes NEXT_PUBLIC_BACKEND_URL in as a build argument before the manager runs next build', (manager) => {
    const builder = builtStages(df, { PACKAGE_MANAGER: manager }).find((s) => s.name === 'builder')!;
    const order = builder.instructions.map((i) => `${i.getKeyword()} ${i.getArgumentsContent()}`);
    const argAt = order.findIndex((l) => /^ARG NEXT_PUBLIC_BACKEND_URL(=|$)/.test(l));
    const envAt = order.findIndex((l) => /^ENV .*NEXT_PUBLIC_BACKEND_URL=\$\{?NEXT_PUBLIC_BACKEND_URL\}?/.test(l));
    // The stage's own ARG PACKAGE_MANAGER brings the global one (the build argument) into its RUNs.
    const managerAt = order.findIndex((l) => l === 'ARG PACKAGE_MANAGER');
    const buildAt = order.findIndex((l) => /^RUN [\s\S]*"\$PACKAGE_MANAGER" run build/.test(l));
    expect(argAt).toBeGreaterThanOrEqual(0);
    expect(envAt).toBeGreaterThan(argAt);
    expect(managerAt).toBeGreaterThanOrEqual(0);
    expect(buildAt).toBeGreaterThan(Math.max(envAt, managerAt));
  });

  it('builds on Node LTS alpine, pnpm and yarn through corepack, and yarn 2+ into node_modules (standalone cannot trace Plug\'n\'Play)', () => {
    for (const image of baseImages(stages)) expect(image).toMatch(/^node:(\d*[02468])\.\d+\.\d+-alpine/);
    expect(text).toMatch(/^RUN corepack enable pnpm yarn$/m);
    const yarn = stages.find((s) => s.name === 'deps-yarn')!;
    expect(yarn.instructions.filter((i) => i.getKeyword() === 'ENV').flatMap(expanded)).toContain('YARN_NODE_LINKER=node-modules');
  });

  it('runs the standalone server with its static assets, bound to 0.0.0.0, telemetry off', () => {
    const final = stages.at(-1)!;
    const env = final.instructions.filter((i) => i.getKeyword() === 'ENV').flatMap(expanded);
    expect(env).toEqual(expect.arrayContaining(['HOSTNAME=0.0.0.0', 'NEXT_TELEMETRY_DISABLED=1', 'NODE_ENV=production']));
    const copies = final.instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getArgumentsContent());
    expect(copies).toEqual(expect.arrayContaining([
      expect.stringContaining('/app/.next/standalone'),
      expect.stringContaining('/app/.next/static ./.next/static'),
      expect.stringContaining('/app/public ./public'),
    ]));
    expect(text).toMatch(/CMD \["node", "server\.js"\]/);
  });
});

describe('backend.Dockerfile specifics', () => {
  const df = parse('backend');
  const stages = stagesOf(df);
  const text = read('backend');

  it.each(packageManagers.backend)('with %s: builds the venv in /app/.venv on the same python:3.13-slim base as the runtime, which copies it without the installer', (manager) => {
    const built = builtStages(df, { PACKAGE_MANAGER: manager });
    const pythonStages = built.filter((s) => s.from.startsWith('python:'));
    expect(pythonStages.map((s) => s.name)).toEqual([`install-${manager}`, 'runtime']);
    expect(new Set(pythonStages.map((s) => s.from)).size).toBe(1);
    expect(pythonStages[0]!.from).toMatch(/^python:3\.13\.\d+-slim/);
    const steps = pythonStages[0]!.instructions.map((i) => i.getArgumentsContent() ?? '').join('\n');
    expect(steps).toMatch(manager === 'uv' ? /uv sync --locked/ : /^python -m venv \/app\/\.venv$/m);
    if (manager === 'uv') for (const sync of runs([pythonStages[0]!])) expect(sync.getArgumentsContent()).toMatch(/uv sync --locked/);
    // The runtime gets the venv from the builder, and no uv or pip of the build.
    const runtime = built.at(-1)!;
    expect(built.find((s) => s.name === 'builder')!.from).toBe(`install-${manager}`);
    expect(runtime.instructions.some((i) => /^COPY --from=builder \/app\b/.test(line(i)))).toBe(true);
    expect(runtime.instructions.some((i) => /\b(uv|pip)\b/.test(i.getArgumentsContent() ?? '') && i.getKeyword() !== 'ENV')).toBe(false);
  });

  it('runs uvicorn as PID 1 with --proxy-headers, listening on every address', () => {
    expect(text).toMatch(/CMD \["uvicorn", .*"--proxy-headers"/);
    const env = stages.at(-1)!.instructions.filter((i) => i.getKeyword() === 'ENV').flatMap(expanded);
    expect(env).toEqual(expect.arrayContaining(['UVICORN_HOST=0.0.0.0', 'UVICORN_PORT=8000', 'UVICORN_APP=main:app']));
    expect(env.some((e) => e.startsWith('PATH=/app/.venv/bin:'))).toBe(true);
  });
});

describe('the secret checks can fail', () => {
  it('flags a secret-looking ARG and ENV, and a credential in a value', () => {
    const df = DockerfileParser.parse('FROM node:24.11.1-alpine\nARG OPENAI_API_KEY\nENV BETTER_AUTH_SECRET=x DB=postgres://u:pw@h/db\n');
    const flagged = argsAndEnvs(df).filter(([, name, value]) => secretName.test(name) || secretValue.test(value));
    expect(flagged.map(([, name]) => name)).toEqual(['OPENAI_API_KEY', 'BETTER_AUTH_SECRET', 'DB']);
  });
});
