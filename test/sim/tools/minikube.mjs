// minikube v1.38.1. Output is what minikube prints when stdout is not a terminal (ASCII
// prefixes "* ", "X ", "! " instead of emoji). Exit codes follow pkg/minikube/reason/exitcodes.go.
// The outputs todo-deploy parses are held to minikube's source by test/contract/minikube.contract.test.ts.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certsDir, dockerHostOf, dockerTlsOf, newCluster, resolveContext } from './cluster.mjs';
import { buildImage, normalizeRef } from './images.mjs';
import { podsForService } from './workloads.mjs';

const EX_PROGRAM_ERROR = 10;
const EX_USAGE = 14;
const EX_PROVIDER_NOT_RUNNING = 63;
const EX_GUEST_ERROR = 80;
const EX_GUEST_CONFLICT = 81;
const EX_GUEST_NOT_RUNNING = 83;
const EX_GUEST_NOT_FOUND = 85;
const EX_GUEST_CONFIG = 88;
const EX_SVC_NOT_FOUND = 115;
const EX_SVC_UNAVAILABLE = 119;

export const globals = {
  'p|profile': 'value',
  alsologtostderr: 'bool',
  logtostderr: 'bool',
  v: 'value',
  user: 'value',
  'skip-audit': 'bool',
};

const profileName = (args) => args.flags.profile ?? 'minikube';
const startHint = (name) => (name === 'minikube' ? 'minikube start' : `minikube start -p ${name}`);

// Key order of the CloudEvents SDK's WriteJson (cloudevents/sdk-go v2 event_marshal.go).
function cloudEvent(type, data) {
  return JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 'https://minikube.sigs.k8s.io/', type: `io.k8s.sigs.minikube.${type}`, datacontenttype: 'application/json', data });
}

/**
 * A failure that mustload reports with out.Styled and exitTip (mustload.go): a shrug line and a
 * "To start a cluster" tip on stdout, as `io.k8s.sigs.minikube.info` CloudEvents in JSON mode.
 * `docker-env` with stdout not a terminal is silent (out.SetSilent) and exits through the shell
 * path of exit.Code, which prints only "false exit code N".
 */
function styledExit(call, code, message, name, { json = false, silent = false } = {}) {
  const tip = `To start a cluster, run: "${startHint(name)}"`;
  if (silent) call.out(`false exit code ${code}\n`);
  else if (json) call.out(`${[message, tip].map((m) => cloudEvent('info', { message: m })).join('\n')}\n`);
  else call.out(`* ${message}\n  ${tip}\n`);
  call.fail(code);
}

/** minikube's answer when the profile does not exist (mustload.Partial → exitTip, exit 85). */
function profileNotFound(call, name, json, silent) {
  styledExit(call, EX_GUEST_NOT_FOUND, `Profile "${name}" not found. Run "minikube profile list" to view all profiles.`, name, { json, silent });
}

/** The profile, which must exist and be running (mustload.Running), or the call fails like minikube. */
function runningProfile(call, args, state, silent = false) {
  const name = profileName(args);
  const profile = state.minikube.profiles[name];
  if (!profile) profileNotFound(call, name, args.flags.output === 'json', silent);
  // A paused profile's host still runs (mustload checks the host, not the apiserver).
  if (profile.status === 'Stopped') {
    styledExit(call, EX_GUEST_NOT_RUNNING, `The control-plane node ${name} host is not running: state=${profile.status}`, name, { silent });
  }
  return { name, profile };
}

function exiting(call, code, reason, message) {
  call.fail(code, `X Exiting due to ${reason}: ${message}`);
}

/** "3g", "3072", "3072mb", "4GB" → MiB. */
function parseMemory(text) {
  const match = /^(\d+)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!match) return undefined;
  const factor = { '': 1, k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[match[2].toLowerCase()];
  return Math.round(Number(match[1]) * factor);
}

function nextIp(state) {
  const used = new Set(Object.values(state.minikube.profiles).map((p) => p.ip));
  for (let octet = 49; octet < 250; octet += 9) {
    const ip = `192.168.${octet}.2`;
    if (!used.has(ip)) return ip;
  }
  return '192.168.250.2';
}

function kubernetesVersion(requested) {
  if (!requested || requested === 'stable') return 'v1.34.0';
  if (requested === 'latest') return 'v1.35.0';
  return requested.startsWith('v') ? requested : `v${requested}`;
}

function writeCerts(state) {
  const dir = certsDir(state);
  mkdirSync(dir, { recursive: true });
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, file), `simulated ${file}\n`);
}

/** Node names as config.MachineName gives them: the profile, then <profile>-m02, -m03, … */
const nodeNames = (name, profile) => Array.from({ length: profile.nodes ?? 1 }, (_, i) => (i === 0 ? name : `${name}-m${String(i + 1).padStart(2, '0')}`));

/** One cluster.Status per node, as cluster.NodeStatus fills it (pkg/minikube/cluster/status.go). */
export function statusOf(name, profile, env) {
  return nodeNames(name, profile).map((node, i) => {
    const worker = i > 0;
    // A host that is not running gives its state to every component.
    if (profile.status === 'Stopped') return { Name: node, Host: 'Stopped', Kubelet: 'Stopped', APIServer: 'Stopped', Kubeconfig: 'Stopped', Worker: worker };
    const paused = profile.status === 'Paused';
    const st = {
      Name: node,
      Host: 'Running',
      Kubelet: paused ? 'Stopped' : 'Running',
      APIServer: worker ? 'Irrelevant' : paused ? 'Paused' : 'Running',
      Kubeconfig: worker ? 'Irrelevant' : 'Configured',
      Worker: worker,
    };
    // Any non-empty value, whichever profile it names.
    if (env.MINIKUBE_ACTIVE_DOCKERD) st.DockerEnv = 'in-use';
    return st;
  });
}

/** cmd/minikube/cmd/status.go:exitCode: a bitmask over all nodes. */
export function statusExitCode(statuses) {
  let code = 0;
  for (const st of statuses) {
    if (st.Host !== 'Running') code |= 1;
    if ((st.APIServer !== 'Running' && st.APIServer !== 'Irrelevant') || st.Kubelet !== 'Running') code |= 2;
    if (st.Kubeconfig !== 'Configured' && st.Kubeconfig !== 'Irrelevant') code |= 4;
  }
  return code;
}

function dockerEnvVars(state, name, profile) {
  // A daemon on a unix socket (test-only, `dockerHost`) takes no TLS: printed like minikube's
  // --ssh-host form, DOCKER_HOST and MINIKUBE_ACTIVE_DOCKERD only.
  if (!dockerTlsOf(profile)) return { DOCKER_HOST: dockerHostOf(profile), MINIKUBE_ACTIVE_DOCKERD: name };
  return {
    DOCKER_TLS_VERIFY: '1',
    DOCKER_HOST: dockerHostOf(profile),
    DOCKER_CERT_PATH: certsDir(state),
    MINIKUBE_ACTIVE_DOCKERD: name,
  };
}

export function profileJson(name, profile, state) {
  const nodes = nodeNames(name, profile).map((_, i) => ({
    Name: i === 0 ? '' : `m${String(i + 1).padStart(2, '0')}`,
    IP: i === 0 ? profile.ip : profile.ip.replace(/\d+$/, (last) => String(Number(last) + i)),
    Port: 8443,
    KubernetesVersion: profile.kubernetesVersion,
    ContainerRuntime: profile.containerRuntime,
    ControlPlane: i === 0,
    Worker: true,
  }));
  return {
    Name: name,
    Status: profile.status === 'Running' ? 'OK' : profile.status,
    Config: {
      Name: name,
      Driver: profile.driver,
      Memory: profile.memory,
      CPUs: profile.cpus,
      KubernetesConfig: { KubernetesVersion: profile.kubernetesVersion, ClusterName: name, ContainerRuntime: profile.containerRuntime },
      Nodes: nodes,
      ExposedPorts: profile.ports,
    },
    Active: name === 'minikube',
    ActiveKubeContext: state.kube.currentContext === name,
  };
}

const start = {
  flags: {
    cpus: 'value',
    'm|memory': 'value',
    'd|driver': 'value',
    'vm-driver': 'value',
    'c|container-runtime': 'value',
    'kubernetes-version': 'value',
    ports: 'list',
    'o|output': 'value',
    wait: 'list',
    'wait-timeout': 'value',
    addons: 'list',
    'embed-certs': 'bool',
    force: 'bool',
    interactive: 'bool',
    'install-addons': 'bool',
    'delete-on-failure': 'bool',
    'keep-context': 'bool',
    'listen-address': 'value',
    'extra-config': 'list',
    'disk-size': 'value',
  },
  mutating: true,
  run(call, args, state) {
    const name = profileName(args);
    const existing = state.minikube.profiles[name];
    const driver = args.flags.driver ?? args.flags['vm-driver'] ?? existing?.driver ?? 'docker';
    const runtime = args.flags['container-runtime'] ?? existing?.containerRuntime ?? 'docker';
    const json = args.flags.output === 'json';
    const lines = [];
    const step = (message) => lines.push(message);
    if (!['docker', 'containerd', 'cri-o', 'crio'].includes(runtime)) {
      exiting(call, EX_USAGE, 'MK_USAGE', `Invalid Container Runtime: ${runtime}. Valid runtimes are: docker, cri-o, containerd`);
    }
    if (existing && existing.driver !== driver) {
      exiting(call, EX_GUEST_CONFIG, 'GUEST_DRIVER_MISMATCH', `The existing "${name}" cluster was created using the "${existing.driver}" driver, which is incompatible with requested "${driver}" driver.`);
    }
    if (driver === 'docker' && state.docker.daemon !== 'up') {
      exiting(call, EX_PROVIDER_NOT_RUNNING, 'PROVIDER_DOCKER_NOT_RUNNING', '"docker version --format -:" exit status 1: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    }
    const fault = call.takeFault('minikubeStart');
    if (fault) {
      exiting(call, fault.exitCode ?? EX_GUEST_ERROR, fault.reason ?? 'GUEST_PROVISION', fault.message ?? 'error provisioning guest: Failed to start host: creating host: create host timed out in 360.000000 seconds');
    }
    const memory = args.flags.memory === undefined || args.flags.memory === 'max' ? undefined : parseMemory(args.flags.memory);
    if (args.flags.memory !== undefined && args.flags.memory !== 'max' && memory === undefined) {
      exiting(call, EX_USAGE, 'MK_USAGE', `Invalid memory value: ${args.flags.memory}`);
    }
    const cpus = args.flags.cpus === undefined || args.flags.cpus === 'max' ? undefined : Number(args.flags.cpus);
    const warnings = [];
    if (existing && memory !== undefined && memory !== existing.memory) warnings.push('You cannot change the memory size for an existing minikube cluster. Please first delete the cluster.');
    if (existing && cpus !== undefined && cpus !== existing.cpus) warnings.push('You cannot change the number of CPUs for an existing minikube cluster. Please first delete the cluster.');
    let profile;
    call.update((s) => {
      const current = s.minikube.profiles[name];
      profile = current ?? {
        status: 'Stopped',
        driver,
        containerRuntime: runtime === 'crio' ? 'cri-o' : runtime,
        cpus: cpus ?? 2,
        memory: memory ?? 3072,
        kubernetesVersion: kubernetesVersion(args.flags['kubernetes-version']),
        ip: nextIp(s),
        ports: (args.flags.ports ?? []).flatMap((p) => p.split(',')),
        serviceHosts: {},
      };
      if (profile.status !== 'Running') call.changed = true;
      profile.status = 'Running';
      s.minikube.profiles[name] = profile;
      s.kube.clusters[name] ??= newCluster(`https://${profile.ip}:8443`, { minikubeProfile: name });
      s.kube.contexts[name] = { cluster: name, namespace: 'default' };
      if (!args.flags['keep-context']) s.kube.currentContext = name;
    });
    writeCerts(state);
    step(`[${name}] minikube ${state.tools.minikube.version} on Debian 12.11`);
    step(existing ? `Using the ${driver} driver based on existing profile` : `Using the ${driver} driver based on user configuration`);
    step(`Starting "${name}" primary control-plane node in "${name}" cluster`);
    step(existing ? `Restarting existing ${driver} container for "${name}" ...` : `Creating ${driver} container (CPUs=${profile.cpus}, Memory=${profile.memory}MB) ...`);
    step(`Preparing Kubernetes ${profile.kubernetesVersion} on ${profile.containerRuntime === 'docker' ? `Docker ${state.tools.docker.serverVersion}` : profile.containerRuntime} ...`);
    step('Verifying Kubernetes components...');
    step(`Done! kubectl is now configured to use "${name}" cluster and "default" namespace by default`);
    if (json) {
      const all = [...warnings.map((message) => cloudEvent('warning', { message })), ...lines.map((message, i) => cloudEvent('step', { currentstep: String(i), message, name: message.split(' ')[0], totalsteps: String(lines.length) }))];
      call.out(`${all.join('\n')}\n`);
    } else {
      for (const w of warnings) call.err(`! ${w}\n`);
      call.out(lines.map((l) => `* ${l}\n`).join(''));
    }
  },
};

export const commands = {
  version: {
    flags: { 'o|output': 'value', short: 'bool', components: 'bool' },
    run(call, args, state) {
      const t = state.tools.minikube;
      if (args.flags.short) call.out(`${t.version}\n`);
      else if (args.flags.output === 'json') call.out(`${JSON.stringify({ commit: t.commit, minikubeVersion: t.version })}\n`);
      else if (args.flags.output === 'yaml') call.out(`commit: ${t.commit}\nminikubeVersion: ${t.version}\n`);
      else if (args.flags.output) call.fail(EX_USAGE, `X Exiting due to MK_USAGE: error: --output must be 'yaml' or 'json'`);
      else call.out(`minikube version: ${t.version}\ncommit: ${t.commit}\n`);
    },
  },

  status: {
    flags: { 'o|output': 'value', 'f|format': 'value', 'l|layout': 'value', 'n|node': 'value' },
    run(call, args, state) {
      const name = profileName(args);
      const json = args.flags.output === 'json';
      const profile = state.minikube.profiles[name];
      if (!profile) profileNotFound(call, name, json);
      if (args.flags.format) call.unexpected('status --format is not simulated');
      const statuses = statusOf(name, profile, call.env);
      // statusJSON: one node as an object, several as an array; no trailing newline.
      if (json) call.out(JSON.stringify(statuses.length === 1 ? statuses[0] : statuses));
      else {
        for (const st of statuses) {
          if (st.Worker) {
            call.out(`${st.Name}\ntype: Worker\nhost: ${st.Host}\nkubelet: ${st.Kubelet}\n\n`);
            continue;
          }
          call.out(`${st.Name}\ntype: Control Plane\nhost: ${st.Host}\nkubelet: ${st.Kubelet}\napiserver: ${st.APIServer}\nkubeconfig: ${st.Kubeconfig}\n`);
          if (st.DockerEnv) call.out(`docker-env: ${st.DockerEnv}\n`);
          call.out('\n');
        }
      }
      return statusExitCode(statuses);
    },
  },

  start,

  stop: {
    flags: { 'keep-context-active': 'bool', 'o|output': 'value', all: 'bool' },
    mutating: true,
    run(call, args, state) {
      const name = profileName(args);
      if (!state.minikube.profiles[name]) profileNotFound(call, name, args.flags.output === 'json');
      call.update((s) => {
        if (s.minikube.profiles[name].status !== 'Stopped') call.changed = true;
        s.minikube.profiles[name].status = 'Stopped';
      });
      call.out(`* Stopping node "${name}"  ...\n* Powering off "${name}" via SSH ...\n* 1 node stopped.\n`);
    },
  },

  delete: {
    flags: { all: 'bool', purge: 'bool', 'o|output': 'value' },
    mutating: true,
    run(call, args, state) {
      const names = args.flags.all ? Object.keys(state.minikube.profiles) : [profileName(args)];
      call.update((s) => {
        for (const name of names) {
          if (!s.minikube.profiles[name]) continue;
          call.changed = true;
          delete s.minikube.profiles[name];
          delete s.kube.clusters[name];
          delete s.kube.contexts[name];
          delete s.helm.releases[name];
          delete s.docker.images[`minikube/${name}`];
          if (s.kube.currentContext === name) s.kube.currentContext = null;
        }
      });
      for (const name of names) {
        const driver = state.minikube.profiles[name]?.driver ?? 'docker';
        call.out(`* Deleting "${name}" in ${driver} ...\n* Removed all traces of the "${name}" cluster.\n`);
      }
    },
  },

  'docker-env': {
    flags: { shell: 'value', 'o|output': 'value', 'u|unset': 'bool', 'no-proxy': 'bool', 'ssh-host': 'bool', 'ssh-add': 'bool' },
    run(call, args, state) {
      const shell = args.flags.shell ?? 'bash';
      const output = args.flags.output;
      if (output && shell !== 'none') call.unexpected('-o only takes effect with --shell none');
      // --unset prints before the profile is looked at (dockerEnvNames: always these six).
      if (args.flags.unset) {
        const names = ['DOCKER_TLS_VERIFY', 'DOCKER_HOST', 'DOCKER_CERT_PATH', 'MINIKUBE_ACTIVE_DOCKERD', 'SSH_AUTH_SOCK', 'SSH_AGENT_PID'];
        if (output === 'json') call.out(`${JSON.stringify(names)}\n`);
        else if (shell === 'none') call.out(names.map((n) => `${n}\n`).join(''));
        else if (shell === 'bash' || shell === 'zsh' || shell === 'sh') call.out(names.map((n) => `unset ${n};\n`).join(''));
        else call.unexpected(`docker-env --shell ${shell} is not simulated`);
        return;
      }
      // With stdout not a terminal (always, under the product) minikube is silent on stdout and
      // ends a failure with "false exit code N" there (exit.SetShell).
      const silent = !process.stdout.isTTY;
      const { name, profile } = runningProfile(call, args, state, silent);
      const fail = (code, reason, message) => {
        if (silent) call.out(`false exit code ${code}\n`);
        exiting(call, code, reason, message);
      };
      if ((profile.nodes ?? 1) > 1) {
        fail(EX_GUEST_CONFLICT, 'ENV_MULTINODE_CONFLICT', "The docker-env command is incompatible with multi-node clusters. Use the 'registry' add-on: https://minikube.sigs.k8s.io/docs/handbook/registry/");
      }
      // Real minikube serves containerd too (docker driver only, ssh:// through nerdctld): not simulated.
      if (profile.containerRuntime === 'containerd') call.unexpected('docker-env with the containerd runtime is not simulated');
      if (profile.containerRuntime !== 'docker') fail(EX_USAGE, 'MK_USAGE', 'the docker-env command only supports the docker and containerd runtimes');
      if (output && output !== 'json' && output !== 'text' && output !== 'yaml') fail(EX_PROGRAM_ERROR, 'MK_OUTPUT_USAGE', "error: --output must be 'text', 'yaml' or 'json'");
      const vars = dockerEnvVars(state, name, profile);
      if (output === 'json') {
        const all = { ...vars, SSH_AUTH_SOCK: '', SSH_AGENT_PID: '' };
        // The caller's own docker variables are saved under MINIKUBE_EXISTING_* unless a docker-env is already active.
        if (!call.env.MINIKUBE_ACTIVE_DOCKERD) {
          for (const key of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) if (call.env[key]) all[`MINIKUBE_EXISTING_${key}`] = call.env[key];
        }
        // Go marshals a map with its keys in byte order.
        const sorted = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        call.out(`${JSON.stringify(sorted)}\n`);
      } else if (shell === 'none') call.out(Object.entries(vars).map(([k, v]) => `${k}=${v}\n`).join(''));
      else if (shell === 'bash' || shell === 'zsh' || shell === 'sh') {
        call.out(Object.entries(vars).map(([k, v]) => `export ${k}="${v}"\n`).join(''));
        call.out(`\n# To point your shell to minikube's docker-daemon, run:\n# eval $(minikube -p ${name} docker-env)\n`);
      } else call.unexpected(`docker-env --shell ${shell} is not simulated`);
    },
  },

  ip: {
    flags: { 'n|node': 'value' },
    run(call, args, state) {
      const { profile } = runningProfile(call, args, state);
      call.out(`${profile.ip}\n`);
    },
  },

  'profile list': {
    flags: { 'o|output': 'value', 'l|light': 'bool' },
    run(call, args, state) {
      const names = Object.keys(state.minikube.profiles).sort();
      if (args.flags.output === 'json') {
        // Written with os.Stdout.Write: no trailing newline.
        call.out(JSON.stringify({ invalid: [], valid: names.map((n) => profileJson(n, state.minikube.profiles[n], state)) }));
        return;
      }
      if (args.flags.output && args.flags.output !== 'table') call.unexpected();
      if (names.length === 0) exiting(call, EX_GUEST_NOT_FOUND, 'MK_USAGE', 'No minikube profile was found.');
      call.out('| Profile | Driver | Runtime | IP | Port | Version | Status |\n');
      for (const n of names) {
        const p = state.minikube.profiles[n];
        call.out(`| ${n} | ${p.driver} | ${p.containerRuntime} | ${p.ip} | 8443 | ${p.kubernetesVersion} | ${p.status === 'Running' ? 'OK' : p.status} |\n`);
      }
    },
  },

  'image build': {
    flags: { 't|tag': 'value', 'f|file': 'value', 'build-env': 'list', 'build-opt': 'list', push: 'bool', 'no-cache': 'bool', all: 'bool', 'n|node': 'value' },
    mutating: true,
    run(call, args, state) {
      const { name } = runningProfile(call, args, state);
      if (args.positionals.length !== 1) exiting(call, EX_USAGE, 'MK_USAGE', 'Please provide a path or url to build');
      const buildArgs = {};
      for (const opt of args.flags['build-opt'] ?? []) {
        const match = /^build-arg=([^=]+)=(.*)$/.exec(opt);
        if (match) buildArgs[match[1]] = match[2];
      }
      const tags = args.flags.tag ? [args.flags.tag] : [];
      const { stderr } = buildImage(call, state, `minikube/${name}`, {
        cwd: call.cwd,
        context: args.positionals[0],
        dockerfile: args.flags.file ? join(args.positionals[0], args.flags.file) : undefined,
        tags,
        buildArgs,
        labels: {},
        secretIds: [],
      });
      call.out(stderr);
    },
  },

  'image load': {
    flags: { daemon: 'bool', overwrite: 'bool', remote: 'bool', pull: 'bool' },
    mutating: true,
    run(call, args, state) {
      const { name } = runningProfile(call, args, state);
      if (args.positionals.length === 0) exiting(call, EX_USAGE, 'MK_USAGE', 'Please provide an image in your local daemon to load into minikube via <minikube image load IMAGE_NAME>');
      const missing = [];
      call.update((s) => {
        const store = (s.docker.images[`minikube/${name}`] ??= {});
        for (const ref of args.positionals.map(normalizeRef)) {
          const image = s.docker.daemon === 'up' ? s.docker.images.host?.[ref] : undefined;
          if (!image) {
            missing.push(ref);
            continue;
          }
          if (store[ref]?.id === image.id) continue;
          store[ref] = { ...image };
          call.changed = true;
        }
      });
      if (missing.length > 0) {
        exiting(call, EX_GUEST_ERROR, 'GUEST_IMAGE_LOAD', `Failed to load image: save to dir: caching images: caching image "${missing[0]}": write: unable to calculate manifest: GET https://index.docker.io/v2/library/${missing[0].split(':')[0]}/manifests/${missing[0].split(':')[1]}: UNAUTHORIZED: authentication required`);
      }
    },
  },

  'image ls': {
    flags: { format: 'value' },
    run(call, args, state) {
      // machine.ListImages loads the profile and skips nodes that are not running: a stopped profile lists nothing.
      const name = profileName(args);
      const profile = state.minikube.profiles[name];
      if (!profile) exiting(call, EX_USAGE, 'MK_USAGE', `loading profile: cluster "${name}" does not exist`);
      const store = (profile.status !== 'Stopped' && state.docker.images[`minikube/${name}`]) || {};
      const qualify = (ref) => (ref.split('/')[0].includes('.') ? ref : `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`);
      const format = args.flags.format ?? 'short';
      if (format === 'json') {
        const byId = new Map();
        for (const [ref, image] of Object.entries(store)) byId.set(image.id, { id: image.id.slice(7), repoDigests: [], repoTags: [...(byId.get(image.id)?.repoTags ?? []), qualify(ref)], size: String(image.size) });
        call.out(`${JSON.stringify([...byId.values()])}\n`);
      } else if (format === 'short') {
        // Every tag, sorted in reverse, joined by newlines, plus one: an empty store prints "\n".
        call.out(`${Object.keys(store).map(qualify).sort().reverse().join('\n')}\n`);
      } else call.unexpected(`image ls --format ${format} is not simulated`);
    },
  },

  service: {
    flags: { url: 'bool', 'n|namespace': 'value', https: 'bool', format: 'value', interval: 'value', wait: 'value', all: 'bool' },
    run(call, args, state) {
      const { name, profile } = runningProfile(call, args, state);
      if (!args.flags.url) call.unexpected('service without --url opens a browser');
      if (args.positionals.length !== 1) exiting(call, EX_USAGE, 'MK_USAGE', 'You must specify service name(s) or --all');
      const ns = args.flags.namespace ?? 'default';
      const svcName = args.positionals[0];
      const resolved = resolveContext(state, name);
      const svc = resolved.cluster?.services[`${ns}/${svcName}`];
      if (!svc) exiting(call, EX_SVC_NOT_FOUND, 'SVC_NOT_FOUND', `Service '${svcName}' was not found in '${ns}' namespace.\nYou may select another namespace by using 'minikube service ${svcName} -n <namespace>'. Or list out all the services using 'minikube service list'`);
      const nodePorts = svc.ports.filter((p) => p.nodePort);
      if (svc.type === 'ClusterIP' || nodePorts.length === 0) {
        exiting(call, EX_SVC_UNAVAILABLE, 'SVC_UNREACHABLE', `service not available: no node port`);
      }
      if (podsForService(state, resolved.cluster, ns, svc).length === 0) {
        exiting(call, EX_SVC_UNAVAILABLE, 'SVC_UNREACHABLE', `service not available: no running pod for service ${svcName} found`);
      }
      for (const port of nodePorts) {
        const host = profile.serviceHosts[String(port.nodePort)] ?? `${profile.ip}:${port.nodePort}`;
        call.out(`${args.flags.https ? 'https' : 'http'}://${host}\n`);
      }
    },
  },
};
