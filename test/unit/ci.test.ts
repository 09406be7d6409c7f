// `todo-deploy ci`: the workflow it writes is valid for GitHub Actions — checked by GitHub's own
// workflow parser and schema (@actions/workflow-parser) — and keeps its promises: pinned actions,
// secrets only from the secret store and never echoed, the report published, diagnostics on failure.
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { CI_MINIKUBE_VERSION, renderWorkflow, workflowValues } from '../../src/commands/ci.js';
import { defaults } from '../../src/config/schema.js';
import { packageVersion } from '../../src/assets.js';
import { repoRoot } from '../support/helm.js';
import { tempDir } from '../support/temp.js';

const template = readFileSync(join(repoRoot, 'templates', 'github-actions.yml'), 'utf8');

/** GitHub's own parser: every schema error (unknown keys, wrong types, broken expressions) of the workflow. */
async function workflowErrors(content: string): Promise<{ errors: string[]; jobs: number }> {
  const parsed = parseWorkflow({ name: 'todo-deploy.yml', content }, new NoOperationTraceWriter());
  const converted = parsed.value && (await convertWorkflowTemplate(parsed.context, parsed.value));
  return { errors: parsed.context.errors.getErrors().map((e) => e.message), jobs: converted?.jobs?.length ?? 0 };
}

interface Step {
  name: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

const workflow = renderWorkflow(template, workflowValues(defaults));
const steps = (parseYaml(workflow) as { jobs: Record<string, { steps: Step[] }> }).jobs['deploy-and-verify']!.steps;

describe('the GitHub Actions workflow', () => {
  it('passes GitHub\'s workflow schema, and the check can fail', async () => {
    expect(await workflowErrors(workflow)).toEqual({ errors: [], jobs: 1 });
    // The same parser refuses a misspelt key and a broken expression: the check above is not vacuous.
    const broken = await workflowErrors(workflow.replace('runs-on:', 'run-on:').replace('${{ failure() }}', '${{ failure( }}'));
    expect(broken.errors).toEqual(expect.arrayContaining([expect.stringContaining("Unexpected value 'run-on'"), expect.stringContaining("Unexpected end of expression: '('")]));
  });

  it('is the one the README shows', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain(`\`\`\`yaml\n${workflow}\`\`\``);
  });

  it('fills every placeholder from the settings', () => {
    expect(workflow).not.toMatch(/@@/);
    const custom = renderWorkflow(template, workflowValues({ ...defaults, namespace: 'shop', minikube: { ...defaults.minikube, cpus: 4, memory: '6g', containerRuntime: 'containerd' } }));
    expect(custom).toContain('TODO_DEPLOY_NAMESPACE: shop');
    expect(custom).toContain('--namespace shop get events');
    expect(custom).toContain('cpus: "4"');
    expect(custom).toContain('memory: 6g');
    expect(custom).toContain('container-runtime: containerd');
    expect(() => renderWorkflow('x: @@nothing@@', {})).toThrow('no value for @@nothing@@');
  });

  it('pins every action to an exact release', () => {
    const uses = steps.filter((s) => s.uses).map((s) => s.uses!);
    expect(uses).toEqual([
      'actions/checkout@v6.0.2',
      'actions/setup-node@v6.3.0',
      'medyagh/setup-minikube@v0.0.21',
      'mikepenz/action-junit-report@v6.3.0',
      'actions/upload-artifact@v7.0.1',
    ]);
    expect(steps.find((s) => s.uses?.startsWith('medyagh/'))!.with).toMatchObject({ 'minikube-version': CI_MINIKUBE_VERSION, driver: 'docker', 'container-runtime': 'docker' });
  });

  it('takes the secrets from the secret store into one step\'s environment only, and never echoes them', () => {
    const withSecrets = steps.filter((s) => JSON.stringify(s).includes('secrets.'));
    expect(withSecrets.map((s) => s.name)).toEqual(["Write .env from the repository's secrets"]);
    const write = withSecrets[0]!;
    for (const key of ['DATABASE_URL', 'OPENAI_API_KEY', 'BETTER_AUTH_SECRET']) expect(write.env![key]).toBe(`\${{ secrets.${key} }}`);
    // The secrets are read from the environment by the shell, never written into the script.
    expect(write.run).not.toContain('secrets.');
    expect(write.run).not.toMatch(/\becho\b|set -x|cat \.env/);
    expect(write.run).toContain('umask 077');
    for (const step of steps) expect(step.run ?? '', step.name).not.toMatch(/\$\{\{\s*secrets\./);
  });

  it('deploys, verifies with a JUnit report, publishes it, and collects status, logs and events on failure', () => {
    const runs = steps.map((s) => s.run ?? '');
    expect(runs).toContain(`npm install --global todo-deploy@${packageVersion()}`);
    expect(runs).toContain('todo-deploy up');
    expect(runs).toContain('todo-deploy verify --resilience --report todo-deploy-report.xml');
    const publish = steps.find((s) => s.uses?.startsWith('mikepenz/'))!;
    expect(publish.with).toMatchObject({ report_paths: 'todo-deploy-report.xml' });
    expect(publish.if).toContain('!cancelled()');
    const collect = steps.find((s) => s.name.startsWith('Collect'))!;
    expect(collect.if).toBe('${{ failure() }}');
    for (const part of ['todo-deploy status', 'todo-deploy logs', 'get events']) expect(collect.run).toContain(part);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    expect(upload).toMatchObject({ if: '${{ failure() }}', with: { path: 'todo-deploy-diagnostics/' } });
  });
});

async function cli(args: string[], cwd: string, path = tempDir('empty-')) {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (c) => (stdout += String(c)));
  err.on('data', (c) => (stderr += String(c)));
  const exitCode = await main(args, { stdout: out as never, stderr: err as never, env: { PATH: path, CI: 'true' }, cwd });
  return { exitCode, stdout, stderr };
}

describe('todo-deploy ci', () => {
  const app = () => tempDir('ci-app-');
  const file = (dir: string) => join(dir, '.github', 'workflows', 'todo-deploy.yml');

  it('writes the workflow with the app\'s settings and says which secrets to add', async () => {
    const dir = app();
    writeFileSync(join(dir, 'todo-deploy.yaml'), 'namespace: shop\n');
    const result = await cli(['ci'], dir);
    expect(result.exitCode, result.stderr).toBe(0);
    const written = readFileSync(file(dir), 'utf8');
    expect(written).toBe(renderWorkflow(template, workflowValues({ ...defaults, namespace: 'shop' })));
    expect(statSync(file(dir)).isFile()).toBe(true);
    expect(result.stdout).toContain('✔ Wrote .github/workflows/todo-deploy.yml');
    expect(result.stdout).toContain('DATABASE_URL, OPENAI_API_KEY, BETTER_AUTH_SECRET');
  });

  it('refuses a cluster-target config: its workflow would deploy to that cluster, not a throwaway Minikube', async () => {
    const dir = app();
    writeFileSync(join(dir, 'todo-deploy.yaml'), 'target: cluster\ncluster:\n  context: prod-eu\n');
    const refused = await cli(['ci'], dir);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('the settings choose target: cluster');
    expect(refused.stderr).toContain('Keep target: minikube in todo-deploy.yaml for the workflow');
    expect(() => statSync(file(dir))).toThrow();
  });

  it('refuses to overwrite an existing file without --force, naming the file and the flag', async () => {
    const dir = app();
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(file(dir), 'name: mine\n');
    const refused = await cli(['ci'], dir);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('.github/workflows/todo-deploy.yml already exists; todo-deploy ci does not overwrite it.');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(file(dir), 'utf8')).toBe('name: mine\n');
    const forced = await cli(['ci', '--force'], dir);
    expect(forced.exitCode).toBe(0);
    expect(forced.stdout).toContain('✔ Replaced .github/workflows/todo-deploy.yml');
    expect(readFileSync(file(dir), 'utf8')).toBe(workflow);
  });

  it('--dry-run prints the workflow and writes nothing; --json says what it wrote', async () => {
    const dir = app();
    const dry = await cli(['ci', '--dry-run'], dir);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout.trimEnd()).toBe(workflow.trimEnd());
    expect(dry.stderr).toContain('Dry run: would write .github/workflows/todo-deploy.yml; nothing was written.');
    expect(() => statSync(file(dir))).toThrow();

    const json = await cli(['ci', '--json', '--output', 'ci/deploy.yml'], dir);
    expect(json.exitCode).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'ci', ok: true, file: join(dir, 'ci', 'deploy.yml'), dryRun: false, replaced: false, secrets: ['DATABASE_URL', 'OPENAI_API_KEY', 'BETTER_AUTH_SECRET', 'BETTER_AUTH_URL'] });
    expect(readFileSync(join(dir, 'ci', 'deploy.yml'), 'utf8')).toBe(workflow);
  });

  it("puts the workflow in the repository's .github/workflows, its steps in the app's folder, when the app is a subfolder", async () => {
    const repo = app();
    const git = dirname(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim());
    execFileSync('git', ['init', '--quiet', repo]);
    mkdirSync(join(repo, 'apps', 'todo'), { recursive: true });
    const result = await cli(['ci', '--app-dir', 'apps/todo'], repo, git);
    expect(result.exitCode, result.stderr).toBe(0);
    const written = readFileSync(file(repo), 'utf8');
    expect(written).toBe(renderWorkflow(template, workflowValues(defaults, 'apps/todo')));
    expect(written).toContain('working-directory: apps/todo');
    expect(written).toContain("hashFiles('apps/todo/todo-deploy-report.xml')");
    expect(written).toContain('report_paths: apps/todo/todo-deploy-report.xml');
    expect(written).toContain('path: apps/todo/todo-deploy-diagnostics/');
    expect(await workflowErrors(written)).toEqual({ errors: [], jobs: 1 });
    expect(() => statSync(file(join(repo, 'apps', 'todo')))).toThrow();
  });

  it('refuses an invalid todo-deploy.yaml, naming the problem', async () => {
    const dir = app();
    writeFileSync(join(dir, 'todo-deploy.yaml'), 'namespace: Not_A_Label\n');
    const result = await cli(['ci'], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/todo-deploy\.yaml:1:12: namespace: expected a lowercase DNS label/);
    expect(() => statSync(file(dir))).toThrow();
  });
});
