// Every flag the tool passes exists in the real binaries: Helm 3 and Helm 4 each get flags
// they accept, and kubectl knows every flag we give it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmHistoryArgs, helmRollbackArgs, helmStatusArgs, helmTestArgs, helmUninstallArgs, helmUpgradeArgs, helmVersionArgs, type HelmMajor } from '../../src/tools/helm.js';
import { applyArgs, deletePodsArgs, deleteSecretsArgs, getContextsArgs, getDeploymentArgs, getObjectsArgs, getPodsArgs, getSecretNamesArgs, kubectlArgs, kubectlVersionArgs, logsArgs, podLogsArgs, rolloutStatusArgs } from '../../src/tools/kubectl.js';
import { realToolPath } from '../support/real-tools.js';
import { tempDir } from '../support/temp.js';

const home = tempDir('contract-home-');
const env = { PATH: '/usr/bin:/bin', HOME: home, KUBECONFIG: join(home, 'kubeconfig'), HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };

function help(binary: string, subcommand: string[]): string {
  return execFileSync(binary, [...subcommand, '--help'], { encoding: 'utf8', env });
}

/** `--flag` names in an argv (values and positionals dropped). */
function flagsOf(args: readonly string[]): string[] {
  return [...new Set(args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!))];
}

const ref = { release: 'backend', namespace: 'todo', kubeContext: 'minikube' };

describe.each([3, 4] as const)('Helm %d accepts every flag todo-deploy passes', (major: HelmMajor) => {
  const helm = realToolPath(major === 3 ? 'helm3' : 'helm4');
  it.each([
    ['upgrade', helmUpgradeArgs({ ...ref, chart: 'c', helmMajor: major, timeoutMs: 1000, valuesFiles: ['x.yaml'] })],
    ['status', helmStatusArgs(ref)],
    ['rollback', helmRollbackArgs({ ...ref, revision: 2, timeoutMs: 1000 })],
    ['history', helmHistoryArgs(ref)],
    ['test', helmTestArgs({ ...ref, timeoutMs: 1000 })],
    ['uninstall', helmUninstallArgs({ ...ref, timeoutMs: 1000 })],
    ['version', helmVersionArgs],
  ])('helm %s', (subcommand, args) => {
    const text = help(helm, [subcommand]);
    for (const flag of flagsOf(args)) expect(text, `${flag} in helm ${major} ${subcommand}`).toMatch(new RegExp(`${flag}[\\s=,]`));
    if (subcommand === 'upgrade') {
      // Helm 4 deprecates --atomic; Helm 3 has no --rollback-on-failure.
      expect(args).not.toContain(major === 3 ? '--rollback-on-failure' : '--atomic');
      expect(text).toContain(major === 3 ? '--atomic' : '--rollback-on-failure');
    }
  });
});

describe.each(['kubectl132', 'kubectl134'] as const)('%s accepts every flag todo-deploy passes', (tool) => {
  const kubectl = realToolPath(tool);
  const globals = execFileSync(kubectl, ['options'], { encoding: 'utf8', env });
  it.each([
    [['apply'], kubectlArgs('minikube', 'todo', ...applyArgs)],
    [['rollout', 'status'], kubectlArgs('minikube', 'todo', ...rolloutStatusArgs('backend', 1000))],
    [['get'], kubectlArgs('minikube', 'todo', ...getPodsArgs('app.kubernetes.io/instance=backend'))],
    [['logs'], kubectlArgs('minikube', 'todo', ...logsArgs('pod', 'backend', true, 20))],
    [['logs'], kubectlArgs('minikube', 'todo', ...podLogsArgs({ pod: 'p', container: 'backend', tail: 100, since: '10m', follow: true }))],
    [['delete'], kubectlArgs('minikube', 'todo', ...deletePodsArgs(['p']))],
    [['delete'], kubectlArgs('minikube', 'todo', ...deleteSecretsArgs(['frontend-secrets']))],
    [['get'], kubectlArgs('minikube', 'todo', ...getSecretNamesArgs(['frontend-secrets']))],
    [['get'], kubectlArgs('minikube', 'todo', ...getDeploymentArgs('backend'))],
    [['get'], kubectlArgs('minikube', 'todo', ...getObjectsArgs(['namespace/todo', 'secret/frontend-secrets']))],
    [['version'], kubectlVersionArgs],
    [['config', 'get-contexts'], getContextsArgs],
  ])('kubectl %j', (subcommand, args) => {
    const text = help(kubectl, subcommand) + globals;
    for (const flag of flagsOf(args)) expect(text, `${flag} in ${tool} ${subcommand.join(' ')}`).toMatch(new RegExp(`${flag}[\\s=,:\\[]`));
  });
});
