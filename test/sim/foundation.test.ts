import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { dockerEnv, useSims } from './sim-fixture.js';

const sim = useSims();

describe.concurrent('the sim environment', () => {
  it('puts only the sim bin folder on PATH, and HOME/KUBECONFIG in the temp folder', async () => {
    const s = await sim();
    expect(s.env).toEqual({ PATH: s.binDir, HOME: s.home, KUBECONFIG: s.kubeconfig });
    expect(s.home.startsWith(s.dir)).toBe(true);
  });

  it.each(['docker', 'minikube', 'kubectl', 'helm'] as const)('a missing %s fails to spawn with ENOENT (never a real binary)', async (tool) => {
    const s = await sim({ missing: [tool] });
    await expect(s.exec(tool, ['version'])).rejects.toMatchObject({ code: 'ENOENT' });
    expect(s.calls()).toEqual([]);
  });

  it('can remove and restore a tool mid-test', async () => {
    const s = await sim();
    s.setInstalled('helm', false);
    await expect(s.exec('helm', ['version', '--short'])).rejects.toMatchObject({ code: 'ENOENT' });
    s.setInstalled('helm', true);
    expect((await s.exec('helm', ['version', '--short'])).stdout).toBe('v3.17.2+gcc0bbbd\n');
  });

  it('a sim started from a snapshot has its world and call log, in a folder of its own', async () => {
    const s = await sim({ missing: ['helm'] });
    await s.exec('kubectl', ['--context', 'minikube', 'create', 'namespace', 'todo']);
    const snapshot = s.snapshot();
    const copy = await sim({ from: snapshot });
    await snapshot.cleanup();
    expect(copy.dir).not.toBe(s.dir);
    const { config, ...world } = copy.state();
    expect(config).toMatchObject({ dir: copy.dir, home: copy.home, kubeconfig: copy.kubeconfig });
    const { config: _, ...original } = s.state();
    expect(world).toEqual(original);
    expect(copy.calls().map((c) => [c.argv.join(' '), c.env.KUBECONFIG])).toEqual([['--context minikube create namespace todo', copy.kubeconfig]]);
    await expect(copy.exec('helm', ['version'])).rejects.toMatchObject({ code: 'ENOENT' });
    // Its tools change its own world only.
    await copy.exec('kubectl', ['--context', 'minikube', 'create', 'namespace', 'other']);
    expect(copy.state().kube.clusters.minikube!.namespaces).toHaveProperty('other');
    expect(s.state().kube.clusters.minikube!.namespaces).not.toHaveProperty('other');
    expect(s.calls()).toHaveLength(1);
  });

  it('links a real binary on request, but never one of the simulated tools', async () => {
    const s = await sim();
    s.linkReal('git');
    expect((await s.exec('git' as 'docker', ['--version'])).stdout).toMatch(/^git version/);
    expect(() => s.linkReal('docker')).toThrow(/simulated/);
  });
});

describe.concurrent('versions', () => {
  it('docker version --format {{json .}} has the client and the server', async () => {
    const s = await sim();
    const r = await s.exec('docker', ['version', '--format', '{{json .}}']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.Client).toMatchObject({ Version: '28.2.2', ApiVersion: '1.50' });
    expect(doc.Server).toMatchObject({ Version: '28.2.2', ApiVersion: '1.50' });
    expect((await s.exec('docker', ['info', '--format', '{{.ServerVersion}}'])).stdout).toBe('28.2.2\n');
    expect((await s.exec('docker', ['--version'])).stdout).toBe('Docker version 28.2.2, build e6534b4\n');
    expect((await s.exec('docker', ['buildx', 'version'])).stdout).toMatch(/^github\.com\/docker\/buildx v0\.\d+\.\d+ /);
  });

  it('minikube version -o json and --short', async () => {
    const s = await sim();
    expect(JSON.parse((await s.exec('minikube', ['version', '-o', 'json'])).stdout)).toMatchObject({ minikubeVersion: 'v1.38.1', commit: expect.any(String) });
    expect((await s.exec('minikube', ['version', '--short'])).stdout).toBe('v1.38.1\n');
  });

  it.each([
    [3, 'v3.17.2', 'v3.17.2+gcc0bbbd'],
    [4, 'v4.1.4', 'v4.1.4+g05fa379'],
  ] as const)('helm %i: --template {{.Version}} and --short', async (helmMajor, version, short) => {
    const s = await sim({ helmMajor });
    expect((await s.exec('helm', ['version', '--template', '{{.Version}}'])).stdout).toBe(version);
    expect((await s.exec('helm', ['version', '--short'])).stdout).toBe(`${short}\n`);
  });

  it('kubectl version --client -o json', async () => {
    const s = await sim();
    const r = await s.exec('kubectl', ['version', '--client', '-o', 'json']);
    expect(JSON.parse(r.stdout).clientVersion).toMatchObject({ major: '1', minor: '34', gitVersion: 'v1.34.5' });
  });
});

describe.concurrent('docker daemon down', () => {
  it('version prints Server null and exits 1; info exits 1', async () => {
    const s = await sim({ docker: { daemon: 'down' } });
    const version = await s.exec('docker', ['version', '--format', '{{json .}}']);
    expect(version.exitCode).toBe(1);
    expect(JSON.parse(version.stdout)).toMatchObject({ Client: { Version: '28.2.2' }, Server: null });
    expect(version.stderr).toBe('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
    const info = await s.exec('docker', ['info', '--format', '{{.ServerVersion}}']);
    expect(info.exitCode).toBe(1);
    expect(info.stderr).toContain('Is the docker daemon running?');
  });

  it('the daemon can go down mid-test', async () => {
    const s = await sim();
    expect((await s.exec('docker', ['info', '--format', '{{.ServerVersion}}'])).exitCode).toBe(0);
    s.update((state) => {
      state.docker.daemon = 'down';
    });
    expect((await s.exec('docker', ['info', '--format', '{{.ServerVersion}}'])).exitCode).toBe(1);
  });
});

describe.concurrent('minikube status', () => {
  it('running: JSON and exit 0', async () => {
    const s = await sim({ minikube: 'running' });
    const r = await s.exec('minikube', ['status', '-p', 'minikube', '-o', 'json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ Name: 'minikube', Host: 'Running', Kubelet: 'Running', APIServer: 'Running', Kubeconfig: 'Configured', Worker: false });
  });

  it('stopped: JSON and the exit bitmask 7', async () => {
    const s = await sim({ minikube: 'stopped' });
    const r = await s.exec('minikube', ['status', '-p', 'minikube', '-o', 'json']);
    expect(r.exitCode).toBe(7);
    expect(JSON.parse(r.stdout)).toMatchObject({ Host: 'Stopped', Kubelet: 'Stopped', APIServer: 'Stopped', Kubeconfig: 'Stopped' });
  });

  it('absent: exit 85 with CloudEvent lines in JSON mode', async () => {
    const s = await sim({ minikube: 'absent' });
    const r = await s.exec('minikube', ['status', '--profile=minikube', '--output=json']);
    expect(r.exitCode).toBe(85);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ specversion: '1.0', source: 'https://minikube.sigs.k8s.io/', type: expect.stringMatching(/^io\.k8s\.sigs\.minikube\./) });
    expect(events[0].data.message).toContain('Profile "minikube" not found');
  });

  it('a named profile from the shorthand', async () => {
    const s = await sim({ profile: 'todo', minikube: 'running' });
    expect((await s.exec('minikube', ['status', '-p', 'todo', '-o', 'json'])).exitCode).toBe(0);
    expect((await s.exec('minikube', ['status', '-o', 'json'])).exitCode).toBe(85);
  });
});

describe.concurrent('minikube docker-env', () => {
  it('prints KEY=VALUE lines with --shell none, and a JSON object with -o json', async () => {
    const s = await sim();
    const lines = await s.exec('minikube', ['docker-env', '-p', 'minikube', '--shell', 'none']);
    expect(lines.stdout.trim().split('\n')).toEqual([
      'DOCKER_TLS_VERIFY=1',
      'DOCKER_HOST=tcp://192.168.49.2:2376',
      `DOCKER_CERT_PATH=${s.home}/.minikube/certs`,
      'MINIKUBE_ACTIVE_DOCKERD=minikube',
    ]);
    const json = JSON.parse((await s.exec('minikube', ['docker-env', '-p', 'minikube', '--shell', 'none', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ DOCKER_HOST: 'tcp://192.168.49.2:2376', DOCKER_TLS_VERIFY: '1', MINIKUBE_ACTIVE_DOCKERD: 'minikube' });
  });

  it('its variables select the profile daemon; without the TLS ones docker fails', async () => {
    const s = await sim();
    const env = await dockerEnv(s);
    const inMinikube = await s.exec('docker', ['info', '--format', '{{.Name}}'], { env });
    expect(inMinikube.stdout).toBe('minikube\n');
    const noTls = await s.exec('docker', ['info', '--format', '{{.Name}}'], { env: { DOCKER_HOST: env.DOCKER_HOST } });
    expect(noTls.exitCode).toBe(1);
    expect(noTls.stderr).toContain('Client sent an HTTP request to an HTTPS server.');
  });

  it("with a profile's dockerHost (test-only, the engine tier's daemon) prints that unix:// socket and no TLS variables; docker reaches the profile's store without them", async () => {
    const s = await sim({ minikube: { profiles: { minikube: { dockerHost: 'unix:///tmp/tde-x/docker.sock' } } } });
    const json = JSON.parse((await s.exec('minikube', ['docker-env', '-p', 'minikube', '--shell', 'none', '-o', 'json'])).stdout);
    expect(json).toEqual({ DOCKER_HOST: 'unix:///tmp/tde-x/docker.sock', MINIKUBE_ACTIVE_DOCKERD: 'minikube', SSH_AGENT_PID: '', SSH_AUTH_SOCK: '' });
    const info = await s.exec('docker', ['info', '--format', '{{.Name}}'], { env: { DOCKER_HOST: json.DOCKER_HOST } });
    expect(info.stdout).toBe('minikube\n');
  });

  it('fails with 83 when the profile is stopped, 85 when absent (silent but for "false exit code N", stdout not being a terminal), and refuses cri-o and multi-node', async () => {
    const stopped = await (await sim({ minikube: 'stopped' })).exec('minikube', ['docker-env', '--shell', 'none']);
    expect(stopped).toMatchObject({ exitCode: 83, stdout: 'false exit code 83\n' });
    expect((await (await sim({ minikube: 'absent' })).exec('minikube', ['docker-env', '--shell', 'none'])).exitCode).toBe(85);
    const crio = await (await sim({ minikube: { profiles: { minikube: { containerRuntime: 'cri-o' } } } })).exec('minikube', ['docker-env', '--shell', 'none']);
    expect(crio).toMatchObject({ exitCode: 14, stdout: 'false exit code 14\n' });
    expect(crio.stderr).toBe('X Exiting due to MK_USAGE: the docker-env command only supports the docker and containerd runtimes\n');
    const multi = await (await sim({ minikube: { profiles: { minikube: { nodes: 2 } } } })).exec('minikube', ['docker-env', '--shell', 'none']);
    expect(multi.exitCode).toBe(81);
    expect(multi.stderr).toContain('ENV_MULTINODE_CONFLICT');
  });
});

describe.concurrent('loud failures', () => {
  it('an unknown subcommand exits 97 and is logged as unexpected', async () => {
    const s = await sim();
    const r = await s.exec('minikube', ['addons', 'enable', 'ingress']);
    expect(r.exitCode).toBe(97);
    expect(r.stderr).toMatch(/^todo-deploy simulator: unexpected call: minikube addons enable ingress/);
    expect(s.calls()).toMatchObject([{ tool: 'minikube', unexpected: true, exitCode: 97 }]);
  });

  it('an unknown flag exits 97', async () => {
    const s = await sim();
    const r = await s.exec('docker', ['build', '--frobnicate', '.']);
    expect(r.exitCode).toBe(97);
    expect(r.stderr).toContain('unknown flag: --frobnicate');
  });

  it('kubectl talking to the cluster without --context exits 98 and is logged as a safety failure', async () => {
    const s = await sim();
    const r = await s.exec('kubectl', ['get', 'secret', 'x', '-n', 'todo', '-o', 'json']);
    expect(r.exitCode).toBe(98);
    expect(s.calls()).toMatchObject([{ tool: 'kubectl', safety: true, exitCode: 98 }]);
  });

  it('helm talking to the cluster without --kube-context exits 98; version needs none', async () => {
    const s = await sim();
    expect((await s.exec('helm', ['status', 'backend', '-n', 'todo', '-o', 'json'])).exitCode).toBe(98);
    expect((await s.exec('helm', ['version', '--short'])).exitCode).toBe(0);
  });

  it('flags are accepted before or after the subcommand, as --f v or --f=v', async () => {
    const s = await sim();
    for (const args of [
      ['--context', 'minikube', 'get', 'namespace', 'default', '-o', 'json'],
      ['get', 'namespace', 'default', '--context=minikube', '-ojson'],
      ['-n', 'kube-system', 'get', 'ns', 'default', '--output=json', '--context', 'minikube'],
    ]) {
      const r = await s.exec('kubectl', args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(JSON.parse(r.stdout).metadata.name).toBe('default');
    }
  });

  it('a context that does not exist, and a stopped cluster, fail like kubectl', async () => {
    const s = await sim({ minikube: 'stopped' });
    const missing = await s.exec('kubectl', ['get', 'ns', '--context', 'prod']);
    expect(missing).toMatchObject({ exitCode: 1, stderr: 'error: context "prod" does not exist\n' });
    const stopped = await s.exec('kubectl', ['get', 'ns', '--context', 'minikube']);
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stderr).toContain('The connection to the server 192.168.49.2:8443 was refused');
  });
});

describe.concurrent('the call log', () => {
  it('records argv, stdin, the docker/kube env, cwd, times, exit code and mutating', async () => {
    const s = await sim();
    const env = await dockerEnv(s);
    await s.exec('docker', ['info', '--format', '{{.ServerVersion}}'], { env: { ...env, SOME_SECRET_NAME: 'x' }, cwd: s.dir });
    await s.exec('kubectl', ['apply', '--context', 'minikube', '--server-side', '-f', '-'], { input: '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"todo"}}' });
    const [envCall, info, apply] = s.calls();
    expect(envCall).toMatchObject({ tool: 'minikube', command: 'docker-env', mutating: false, exitCode: 0 });
    expect(info).toMatchObject({
      tool: 'docker',
      argv: ['info', '--format', '{{.ServerVersion}}'],
      cwd: s.dir,
      env: { DOCKER_HOST: 'tcp://192.168.49.2:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: env.DOCKER_CERT_PATH, MINIKUBE_ACTIVE_DOCKERD: 'minikube', KUBECONFIG: s.kubeconfig },
      stdin: '',
      mutating: false,
      changed: false,
    });
    expect(info!.envKeys).toContain('SOME_SECRET_NAME');
    expect(info!.start).toBeLessThan(info!.end);
    expect(apply).toMatchObject({ tool: 'kubectl', command: 'apply', stdin: expect.stringContaining('"todo"'), mutating: true, changed: true, stdout: 'namespace/todo serverside-applied\n' });
  });
});

describe.concurrent('runCli', () => {
  it('spawns node with the sim env only, plus what the test passes', async () => {
    const s = await sim();
    const entry = join(s.dir, 'echo.mjs');
    writeFileSync(entry, `let stdin = ''; for await (const c of process.stdin) stdin += c;\nconsole.log(JSON.stringify({ args: process.argv.slice(2), env: process.env, cwd: process.cwd(), stdin }));\nprocess.exitCode = 3;\n`);
    const r = await runCli(['up', '--yes'], { sim: s, cwd: s.home, entry, input: 'hello', env: { CI: 'true', KUBECONFIG: undefined } });
    expect(r.exitCode).toBe(3);
    const seen = JSON.parse(r.stdout);
    expect(seen.args).toEqual(['up', '--yes']);
    expect(seen.stdin).toBe('hello');
    expect(seen.cwd).toBe(s.home);
    expect(seen.env).toEqual({ PATH: s.binDir, HOME: s.home, CI: 'true' });
  });

  it('kills a hung CLI after timeoutMs', async () => {
    const s = await sim();
    const entry = join(s.dir, 'hang.mjs');
    writeFileSync(entry, 'setInterval(() => {}, 1000);\n');
    const r = await runCli([], { sim: s, cwd: s.home, entry, timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
  });
});
