#!/usr/bin/env node
// A test-only `minikube` over the cluster tier's real node: the subset todo-deploy calls, for a
// profile with the containerd runtime. Outputs are minikube v1.38.1's, shaped by the same code
// as the simulator's minikube (test/sim/tools/minikube.mjs, held to minikube's source by
// test/contract/minikube.contract.test.ts). Effects are real where the product relies on them:
// `image build` builds with the tier's Docker Engine and imports into the node's containerd,
// `image ls` lists containerd's images. start/stop/delete change the profile's recorded state
// only: the node runs for the whole suite and is stopped by the tier.
//
// State: the JSON file named by TODO_NODE_STATE —
//   { profile, ip, dockerHost, containerd, kubernetesVersion, status: 'Running' | 'Stopped' | null (deleted) }
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { findCommand, parseArgs, withoutCommand } from '../sim/tools/args.mjs';
import { profileJson, statusExitCode, statusOf } from '../sim/tools/minikube.mjs';
import { dockerBin, importImages, nodeImages, run } from './images.mjs';

const version = { minikubeVersion: 'v1.38.1', commit: 'c93a4cb9311efc66b90d33ea03f75f2c4120e9b0' };
const EX_GUEST_NOT_RUNNING = 83;
const EX_GUEST_NOT_FOUND = 85;
const EX_GUEST_IMAGE_BUILD = 80;

const statePath = process.env.TODO_NODE_STATE;
if (!statePath) fail(1, 'TODO_NODE_STATE is not set: this minikube runs only inside the cluster tier');
const state = JSON.parse(readFileSync(statePath, 'utf8'));
const save = () => writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);

function fail(code, message) {
  if (message) process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** The profile as the simulator's output code takes it. */
const profile = () => ({
  status: state.status,
  ip: state.ip,
  driver: 'docker',
  cpus: 2,
  memory: 3072,
  kubernetesVersion: state.kubernetesVersion,
  containerRuntime: 'containerd',
  ports: [],
});

function requireProfile(name, { running = true, json = false } = {}) {
  const tip = `To start a cluster, run: "minikube start${name === 'minikube' ? '' : ` -p ${name}`}"`;
  if (name !== state.profile || state.status === null) {
    const message = `Profile "${name}" not found. Run "minikube profile list" to view all profiles.`;
    process.stdout.write(json ? '' : `* ${message}\n  ${tip}\n`);
    fail(EX_GUEST_NOT_FOUND);
  }
  if (running && state.status !== 'Running') {
    process.stdout.write(`* The control-plane node ${name} host is not running: state=${state.status}\n  ${tip}\n`);
    fail(EX_GUEST_NOT_RUNNING);
  }
}

const globals = { 'p|profile': 'value', alsologtostderr: 'bool', logtostderr: 'bool', v: 'value' };
const commands = {
  version: { flags: { 'o|output': 'value', short: 'bool' } },
  status: { flags: { 'o|output': 'value' } },
  start: { flags: { driver: 'value', 'container-runtime': 'value', cpus: 'value', 'm|memory': 'value', 'kubernetes-version': 'value', ports: 'list', wait: 'value' } },
  stop: { flags: {} },
  delete: { flags: { all: 'bool', purge: 'bool' } },
  ip: { flags: {} },
  'profile list': { flags: { 'o|output': 'value' } },
  'image build': { flags: { 't|tag': 'value', 'f|file': 'value', 'build-opt': 'list' } },
  'image ls': { flags: { format: 'value' } },
};

const argv = process.argv.slice(2);
const command = findCommand(argv, globals, Object.keys(commands));
if (!command) fail(64, `minikube stand-in: \`minikube ${argv.join(' ')}\` is not a call todo-deploy makes; add it to test/cluster/minikube.mjs if it is`);
const args = parseArgs(withoutCommand(argv, command), { ...globals, ...commands[command].flags });
const name = args.flags.profile ?? 'minikube';

switch (command) {
  case 'version':
    process.stdout.write(args.flags.output === 'json' ? `${JSON.stringify({ commit: version.commit, minikubeVersion: version.minikubeVersion })}\n` : `minikube version: ${version.minikubeVersion}\ncommit: ${version.commit}\n`);
    break;
  case 'status': {
    requireProfile(name, { running: false, json: args.flags.output === 'json' });
    const statuses = statusOf(name, profile(), process.env);
    process.stdout.write(JSON.stringify(statuses.length === 1 ? statuses[0] : statuses));
    process.exit(statusExitCode(statuses));
    break;
  }
  case 'start':
    if (state.status === null && name === state.profile) fail(EX_GUEST_NOT_FOUND, `X Exiting due to GUEST_NOT_FOUND: the cluster tier's node was deleted; it cannot be created again in this run`);
    state.status = 'Running';
    save();
    process.stdout.write(`* minikube ${version.minikubeVersion} on Debian 12\n* Using the docker driver based on existing profile\n* Done! kubectl is now configured to use "${name}" cluster and "default" namespace by default\n`);
    break;
  case 'stop':
    requireProfile(name, { running: false });
    state.status = 'Stopped';
    save();
    process.stdout.write(`* Stopping node "${name}"  ...\n* Powering off "${name}" via SSH ...\n* 1 node stopped.\n`);
    break;
  case 'delete':
    if (name === state.profile && state.status !== null) {
      state.status = null;
      save();
    }
    process.stdout.write(`* Deleting "${name}" in docker ...\n* Removed all traces of the "${name}" cluster.\n`);
    break;
  case 'ip':
    requireProfile(name);
    process.stdout.write(`${state.ip}\n`);
    break;
  case 'profile list':
    // Written with os.Stdout.Write: no trailing newline.
    process.stdout.write(JSON.stringify({ invalid: [], valid: state.status === null ? [] : [profileJson(state.profile, profile(), { kube: { currentContext: state.profile } })] }));
    break;
  case 'image build': {
    requireProfile(name);
    const context = resolve(args.positionals[0]);
    const file = args.flags.file ?? 'Dockerfile';
    const buildArgs = (args.flags['build-opt'] ?? []).flatMap((opt) => {
      const match = /^build-arg=(.*)$/.exec(opt);
      return match ? ['--build-arg', match[1]] : [];
    });
    // The tier's daemon has no bridge: --network host. Its base images are the engine tier's
    // stand-ins under the Dockerfiles' default names, carrying the machine's CA (tagAsDefaultBases).
    const env = { ...process.env, DOCKER_HOST: state.dockerHost, DOCKER_BUILDKIT: '1' };
    try {
      const out = await run(dockerBin, ['build', '--network', 'host', '-t', args.flags.tag, '-f', isAbsolute(file) ? file : join(context, file), ...buildArgs, context], { env });
      await importImages({ dockerHost: state.dockerHost, containerd: state.containerd, refs: [args.flags.tag] });
      process.stdout.write(out);
    } catch (error) {
      fail(EX_GUEST_IMAGE_BUILD, `X Exiting due to GUEST_IMAGE_BUILD: failed to build image: ${error.message}`);
    }
    break;
  }
  case 'image ls': {
    requireProfile(name);
    if (args.flags.format !== 'short') fail(64, 'minikube stand-in: only image ls --format short');
    const refs = (await nodeImages(state.containerd)).filter((r) => !r.startsWith('sha256:'));
    process.stdout.write(`${refs.sort().reverse().join('\n')}\n`);
    break;
  }
}
