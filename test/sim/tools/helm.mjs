// helm 3.17 / 4.1 (the version in state.tools.helm decides which). Releases are stored per
// cluster and namespace with their revision history. Charts are rendered by the *real* helm
// binary (`helm template`, offline, never touching a cluster) so the Deployments, Services and
// secret references the simulator models are exactly the ones the chart produces.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDuration } from './args.mjs';
import { resolveContext } from './cluster.mjs';
import { renderTemplate, TemplateUnsupported } from './go-template.mjs';
import { applyReleaseObjects, deploymentJson, objectsFromManifests, reconcile, removeReleaseObjects, rolloutState, serviceJson, statefulSetJson, statefulSetState } from './workloads.mjs';

const BARE = '\u0000bare';

export const globals = {
  'kube-context': 'value',
  'n|namespace': 'value',
  kubeconfig: 'value',
  debug: 'bool',
  'burst-limit': 'value',
  qps: 'value',
  color: 'value',
  colour: 'value',
};

const major = (state) => Number(state.tools.helm.version.slice(1).split('.')[0]);

function helmError(call, message) {
  call.fail(1, `Error: ${message}`);
}

export function prepare(call, args, state, spec) {
  const v4 = major(state) >= 4;
  if (!v4) {
    for (const flag of ['rollback-on-failure', 'color', 'colour']) if (args.seen.includes(flag)) helmError(call, `unknown flag: --${flag}`);
    const wait = args.flags.wait;
    if (wait !== undefined && wait !== BARE && wait !== 'true' && wait !== 'false') {
      helmError(call, `invalid argument "${wait}" for "--wait" flag: strconv.ParseBool: parsing "${wait}": invalid syntax`);
    }
  } else {
    if (spec.v3only) for (const flag of spec.v3only) if (args.seen.includes(flag)) helmError(call, `unknown flag: --${flag}`);
    const wait = args.flags.wait;
    if (wait !== undefined && ![BARE, 'true', 'false', 'watcher', 'legacy', 'hookOnly'].includes(wait)) {
      helmError(call, `invalid argument "${wait}" for "--wait" flag: invalid wait strategy "${wait}"`);
    }
    if (args.seen.includes('atomic')) call.err('Flag --atomic has been deprecated, use --rollback-on-failure instead\n');
  }
  if (args.flags.timeout !== undefined && parseDuration(args.flags.timeout) === undefined) {
    helmError(call, `invalid argument "${args.flags.timeout}" for "--timeout" flag: time: invalid duration "${args.flags.timeout}"`);
  }
  if (spec.cluster && !args.flags['kube-context']) {
    call.unsafe('helm talks to the cluster without --kube-context, so it would act on whatever context is current');
  }
}

function unreachable(call, state, message) {
  helmError(call, `${major(state) >= 4 ? 'kubernetes' : 'Kubernetes'} cluster unreachable: ${message}`);
}

/** Runs fn under the lock with the call's cluster: fn(state, cluster, releases (ns/name → revisions), ns, clusterName). */
function withReleases(call, args, fn) {
  const context = args.flags['kube-context'];
  return call.update((s) => {
    const r = resolveContext(s, context);
    if (r.error === 'no-context') unreachable(call, s, `context "${context}" does not exist`);
    if (r.error) {
      const host = r.server.replace(/^https?:\/\//, '');
      unreachable(call, s, `Get "${r.server}/version": dial tcp ${host}: connect: connection refused`);
    }
    const ns = args.flags.namespace ?? s.kube.contexts[context].namespace ?? 'default';
    const releases = (s.helm.releases[r.name] ??= {});
    reconcile(s, r.cluster);
    const result = fn(s, r.cluster, releases, ns, r.name);
    reconcile(s, r.cluster);
    return result;
  });
}

const isPending = (rev) => rev?.status.startsWith('pending-');
const ERR_PENDING = 'another operation (install/upgrade/rollback) is in progress';

function goTimeString(iso) {
  // Go's time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST"
  return `${iso.replace('T', ' ').replace(/\.?0*Z$/, '')} +0000 UTC`;
}

function ansic(iso) {
  const d = new Date(iso);
  const day = d.toUTCString().slice(0, 3);
  const month = d.toUTCString().slice(8, 11);
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} ${d.getUTCFullYear()}`;
}

function loadChart(call, chartRef, cwd) {
  const dir = resolve(cwd, chartRef);
  if (!existsSync(dir)) helmError(call, `path "${chartRef}" not found`);
  const chartYaml = join(dir, 'Chart.yaml');
  if (!existsSync(chartYaml)) helmError(call, `Chart.yaml file is missing`);
  return { dir, text: readFileSync(chartYaml, 'utf8') };
}

function deepMerge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k]) ? deepMerge(out[k], v) : v;
  }
  return out;
}

function setPath(target, path, value) {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!node[part] || typeof node[part] !== 'object') node[part] = {};
    node = node[part];
  }
  node[parts.at(-1)] = value;
}

function typed(text) {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  return text;
}

async function userValues(call, args, previous) {
  const { parse } = await import('yaml');
  let values = args.flags['reuse-values'] && !args.flags['reset-values'] ? structuredClone(previous ?? {}) : {};
  for (const file of args.flags.values ?? []) {
    const text = file === '-' ? await call.readStdin() : readFileSync(resolve(call.cwd, file), 'utf8');
    let parsed;
    try {
      // Helm reads YAML merge keys (<<: *anchor), as `helm template` with such a file shows.
      parsed = parse(text, { merge: true }) ?? {};
    } catch (error) {
      helmError(call, `failed to parse ${file}: error converting YAML to JSON: ${error.message.split('\n')[0]}`);
    }
    values = deepMerge(values, parsed);
  }
  for (const [flag, convert] of [['set', typed], ['set-string', String]]) {
    for (const expr of args.flags[flag] ?? []) {
      for (const pair of expr.split(',')) {
        const eq = pair.indexOf('=');
        if (eq === -1) helmError(call, `failed parsing --${flag} data: key "${pair}" has no value`);
        setPath(values, pair.slice(0, eq), convert(pair.slice(eq + 1)));
      }
    }
  }
  for (const expr of args.flags['set-file'] ?? []) {
    const eq = expr.indexOf('=');
    setPath(values, expr.slice(0, eq), readFileSync(resolve(call.cwd, expr.slice(eq + 1)), 'utf8'));
  }
  return values;
}

/** Every file of the chart, for the render cache key. */
function chartDigest(dir, hash = createHash('sha256')) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) chartDigest(full, hash.update(`${entry.name}/`));
    else hash.update(`${entry.name}\0`).update(readFileSync(full));
  }
  return hash;
}

/**
 * `helm template` output. Rendering is pure (same chart files, values and flags give the same
 * manifest), so results are cached across sims in the temp folder: a Go start-up per upgrade is
 * the slowest part of a simulated deploy.
 */
function renderManifest(state, helmBin, chartDir, templateArgs, values) {
  const key = chartDigest(chartDir).update(JSON.stringify([helmBin, templateArgs, values])).digest('hex');
  const cacheDir = join(tmpdir(), 'todo-deploy-sim-render-cache');
  const cached = join(cacheDir, `${key}.yaml`);
  if (existsSync(cached)) return { stdout: readFileSync(cached, 'utf8') };
  const valuesFile = join(state.config.dir, `values-${process.pid}-${Date.now()}.json`);
  writeFileSync(valuesFile, JSON.stringify(values));
  const home = join(state.config.dir, 'real-helm-home');
  const result = spawnSync(helmBin, [...templateArgs, '-f', valuesFile], {
    encoding: 'utf8',
    env: { HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data'), PATH: '' },
    timeout: 30_000,
  });
  rmSync(valuesFile, { force: true });
  if (result.status !== 0) return { error: (result.stderr || result.error?.message || 'helm template failed').trim().replace(/^Error: /, '') };
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.partial`;
  writeFileSync(partial, result.stdout);
  renameSync(partial, cached);
  return { stdout: result.stdout };
}

/** Renders the chart with the real helm (offline); returns { chart, manifest, objects } or { error }. */
async function render(call, state, { release, namespace, chartDir, values, isUpgrade, kubeVersion }) {
  const { parse, parseAllDocuments } = await import('yaml');
  const chartMeta = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) ?? {};
  const helmBin = state.config.realHelm;
  if (!helmBin || !existsSync(helmBin)) call.unexpected('no real helm binary to render charts with (state.config.realHelm)');
  const templateArgs = ['template', release, chartDir, '--namespace', namespace];
  if (isUpgrade) templateArgs.push('--is-upgrade');
  if (kubeVersion) templateArgs.push('--kube-version', kubeVersion);
  const result = renderManifest(state, helmBin, chartDir, templateArgs, values);
  if (result.error) return { error: result.error };
  const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
  let defaults = {};
  try {
    defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) ?? {};
  } catch {}
  return {
    chart: { name: chartMeta.name, version: String(chartMeta.version ?? ''), appVersion: String(chartMeta.appVersion ?? ''), description: chartMeta.description ?? '', defaults },
    ...(await splitHooks(result.stdout)),
    objects: objectsFromManifests(docs, release, namespace),
  };
}

/** `helm template` prints hooks among the objects; a release keeps them apart, as hooks, out of its manifest. */
async function splitHooks(text) {
  const { parse } = await import('yaml');
  const manifest = [];
  const hooks = [];
  for (const chunk of text.split(/^---\n/m).filter((c) => c.trim())) {
    const doc = parse(chunk);
    const events = doc?.metadata?.annotations?.['helm.sh/hook'];
    if (!events) {
      manifest.push(`---\n${chunk}`);
      continue;
    }
    const policies = doc.metadata.annotations['helm.sh/hook-delete-policy'];
    hooks.push({
      name: doc.metadata.name,
      kind: doc.kind,
      path: chunk.match(/^# Source: (.*)$/m)?.[1] ?? '',
      manifest: chunk.replace(/^# Source: .*\n/m, '').trimEnd(),
      events: events.split(',').map((e) => e.trim()),
      ...(policies && { delete_policies: policies.split(',').map((p) => p.trim()) }),
    });
  }
  return { manifest: manifest.join(''), hooks };
}

function newRevision(number, status, rendered, values, chartDir, description, firstDeployed) {
  const now = new Date().toISOString();
  return {
    revision: number,
    status,
    chart: `${rendered.chart.name}-${rendered.chart.version}`,
    chartName: rendered.chart.name,
    chartVersion: rendered.chart.version,
    app_version: rendered.chart.appVersion,
    chartDescription: rendered.chart.description,
    chartDefaults: rendered.chart.defaults,
    updated: now,
    first_deployed: firstDeployed ?? now,
    description,
    values,
    chartPath: chartDir,
    manifest: rendered.manifest,
    hooks: rendered.hooks,
    objects: rendered.objects,
    tests: rendered.objects.tests,
  };
}

/**
 * A release as `helm ... -o json` prints it (recorded from the real binaries: test/contract).
 * `helm status` strips the chart (helm's status command sets rel.Chart = nil); install and upgrade
 * print it. Helm 3 always prints info.deleted and first_deployed ("" when unset); Helm 4 leaves
 * out unset times, and prints a hook's unrun last_run as {"phase":""}. Empty description, notes,
 * manifest and hooks are left out by both.
 */
function releaseJson(state, cluster, name, ns, rev, { withChart = false, withResources = false } = {}) {
  const v4 = major(state) >= 4;
  const time = (t) => (v4 ? (t ? t : undefined) : (t ?? ''));
  const info = {
    first_deployed: time(rev.first_deployed),
    last_deployed: time(rev.updated),
    deleted: time(rev.status === 'uninstalled' ? rev.updated : undefined),
    description: rev.description || undefined,
    status: rev.status,
    notes: rev.notes || undefined,
  };
  if (v4 && withResources && cluster) {
    // Helm 4's status asks the cluster for the release's objects (pkg/action/status.go); not recordable offline.
    info.resources = {
      'apps/v1/Deployment': Object.keys(rev.objects?.deployments ?? {}).filter((k) => cluster.deployments[k]).map((k) => deploymentJson(state, cluster, k)),
      ...(Object.keys(rev.objects?.statefulsets ?? {}).length > 0 && { 'apps/v1/StatefulSet': Object.keys(rev.objects.statefulsets).filter((k) => cluster.statefulsets?.[k]).map((k) => statefulSetJson(state, cluster, k)) }),
      'v1/Service': Object.keys(rev.objects?.services ?? {}).filter((k) => cluster.services[k]).map((k) => serviceJson(cluster, k)),
    };
  }
  const hooks = (rev.hooks ?? []).map((h) => ({
    ...h,
    last_run: h.last_run ?? (v4 ? { phase: '' } : { started_at: '', completed_at: '', phase: '' }),
  }));
  return JSON.parse(
    JSON.stringify({
      name,
      info,
      ...(withChart && { chart: chartJson(rev, v4) }),
      config: rev.values,
      manifest: rev.manifest || undefined,
      hooks: hooks.length > 0 ? hooks : undefined,
      version: rev.revision,
      namespace: ns,
      apply_method: rev.apply_method,
    }),
  );
}

/** The chart as install and upgrade print it: its metadata, and its files as Helm loaded them. */
function chartJson(rev, v4) {
  const files = rev.chartPath ? chartFiles(rev.chartPath) : [];
  const templates = files.filter((f) => f.name.startsWith('templates/'));
  const others = files.filter((f) => !f.name.startsWith('templates/') && !['Chart.yaml', 'values.yaml', 'values.schema.json', 'Chart.lock'].includes(f.name));
  const schema = files.find((f) => f.name === 'values.schema.json');
  const meta = { name: rev.chartName, version: rev.chartVersion, description: rev.chartDescription || undefined, apiVersion: 'v2', appVersion: rev.app_version || undefined };
  const modtime = (f) => (v4 ? { modtime: f.modtime } : {});
  return {
    metadata: meta,
    lock: null,
    templates: templates.map((f) => ({ name: f.name, data: f.data, ...modtime(f) })),
    values: files.some((f) => f.name === 'values.yaml') ? (rev.chartDefaults ?? {}) : null,
    schema: schema ? schema.data : null,
    ...(v4 && { schemamodtime: schema?.modtime ?? '0001-01-01T00:00:00Z' }),
    files: others.length > 0 ? others.map((f) => ({ name: f.name, data: f.data, ...modtime(f) })) : null,
    ...(v4 && { modtime: new Date().toISOString() }),
  };
}

function chartFiles(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return chartFiles(dir, name);
    const full = join(dir, name);
    return [{ name, data: readFileSync(full).toString('base64'), modtime: statSync(full).mtime.toISOString() }];
  });
}

/** `helm status` (and install, upgrade, test) as a table; Helm 4 adds DESCRIPTION. Test suites that never ran are not listed. */
function statusTable(state, name, ns, rev) {
  let text = `NAME: ${name}\nLAST DEPLOYED: ${ansic(rev.updated)}\nNAMESPACE: ${ns}\nSTATUS: ${rev.status}\nREVISION: ${rev.revision}\n`;
  if (major(state) >= 4) text += `DESCRIPTION: ${rev.description}\n`;
  const tests = (rev.hooks ?? []).filter((h) => h.events.includes('test'));
  if (tests.length === 0) text += 'TEST SUITE: None\n';
  for (const t of tests.filter((h) => h.last_run?.started_at)) {
    text += `TEST SUITE:     ${t.name}\nLast Started:   ${ansic(t.last_run.started_at)}\nLast Completed: ${ansic(t.last_run.completed_at)}\nPhase:          ${t.last_run.phase}\n`;
  }
  return text;
}

/** Why the release's workloads are not ready, as the wait strategy reports it, or undefined if ready. */
function waitFailure(state, cluster, rev, strategy) {
  const notReady = Object.keys(rev.objects.deployments).filter((k) => !rolloutState(state, cluster, k).done);
  // A StatefulSet is ready once its replicas are ready and updated (helm's legacy readiness checker; kstatus alike).
  const stsNotReady = Object.keys(rev.objects.statefulsets ?? {}).filter((k) => !cluster.statefulsets?.[k] || !statefulSetState(state, cluster, k).done);
  if (notReady.length === 0 && stsNotReady.length === 0) return undefined;
  if (strategy === 'watcher') {
    return `${[
      ...notReady.map((k) => {
        const r = rolloutState(state, cluster, k);
        return `resource Deployment/${k} not ready. status: InProgress, message: Available: ${r.readyCurrent}/${r.replicas}`;
      }),
      // kstatus' StatefulSet message ("Ready: n/m"); not recorded from a real helm 4.
      ...stsNotReady.map((k) => {
        const r = statefulSetState(state, cluster, k);
        return `resource StatefulSet/${k} not ready. status: InProgress, message: Ready: ${r.ready}/${r.replicas}`;
      }),
    ].join('\n')}\ncontext deadline exceeded`;
  }
  return 'context deadline exceeded';
}

/** The wait strategy of this call: undefined (no wait), 'legacy' (helm 3) or a helm 4 strategy. */
function waitStrategy(state, args, autoRollback) {
  const wait = args.flags.wait;
  if (major(state) < 4) return wait === BARE || wait === 'true' || autoRollback ? 'legacy' : undefined;
  if (wait === undefined) return autoRollback ? 'watcher' : undefined;
  if (wait === BARE || wait === 'true') return 'watcher';
  if (wait === 'false' || wait === 'hookOnly') return autoRollback ? 'watcher' : undefined;
  return wait;
}

function markSuperseded(revisions, except) {
  for (const r of revisions) if (r !== except && r.status === 'deployed') r.status = 'superseded';
}

function trimHistory(revisions, max) {
  if (max > 0) while (revisions.length > max) revisions.shift();
}

const upgradeFlags = {
  'i|install': 'bool',
  'create-namespace': 'bool',
  wait: 'optional',
  'wait-for-jobs': 'bool',
  timeout: 'value',
  atomic: 'bool',
  'rollback-on-failure': 'bool',
  'cleanup-on-fail': 'bool',
  'f|values': 'list',
  set: 'list',
  'set-string': 'list',
  'set-file': 'list',
  'o|output': 'value',
  version: 'value',
  description: 'value',
  'reset-values': 'bool',
  'reuse-values': 'bool',
  'reset-then-reuse-values': 'bool',
  'history-max': 'value',
  force: 'bool',
  'hide-notes': 'bool',
  'skip-crds': 'bool',
  'skip-schema-validation': 'bool',
  'server-side': 'value',
  'take-ownership': 'bool',
};

async function upgrade(call, args, state, installOnly) {
  const [release, chartRef] = args.positionals;
  if (!release || !chartRef || args.positionals.length > 2) helmError(call, `"helm ${installOnly ? 'install' : 'upgrade'}" requires 2 arguments`);
  if (args.flags['dry-run']) call.unexpected('helm --dry-run is not simulated');
  const v4 = major(state) >= 4;
  const autoRollback = Boolean(args.flags.atomic || args.flags['rollback-on-failure']);
  const strategy = waitStrategy(state, args, autoRollback);
  const json = args.flags.output === 'json';
  if (args.flags.output && !json && args.flags.output !== 'table') call.unexpected(`-o ${args.flags.output} is not simulated`);
  const chart = loadChart(call, chartRef, call.cwd);
  const context = args.flags['kube-context'];
  const ns = args.flags.namespace ?? state.kube.contexts[context]?.namespace ?? 'default';
  const key = `${ns}/${release}`;

  // Phase 1: decide install or upgrade, and record the pending revision (as helm does before it
  // starts applying: an interrupted call leaves the release pending-*).
  const clusterName = resolveContext(state, context).name;
  const previousRevs = clusterName ? (state.helm.releases[clusterName]?.[key] ?? []) : [];
  const previous = previousRevs.at(-1);
  const values = await userValues(call, args, previous?.values);
  const profile = clusterName ? state.minikube.profiles[state.kube.clusters[clusterName]?.minikubeProfile] : undefined;
  const rendered = await render(call, state, { release, namespace: ns, chartDir: chart.dir, values, isUpgrade: Boolean(previous && previous.status !== 'uninstalled'), kubeVersion: profile?.kubernetesVersion });
  const plan = withReleases(call, args, (s, cluster, releases) => {
    const revs = (releases[key] ??= []);
    const last = revs.at(-1);
    const install = !last || last.status === 'uninstalled';
    if (installOnly && !install) helmError(call, 'INSTALLATION FAILED: cannot re-use a name that is still in use');
    if (install && !installOnly && !args.flags.install) helmError(call, `UPGRADE FAILED: "${release}" has no deployed releases`);
    if (!install && isPending(last)) helmError(call, `UPGRADE FAILED: ${ERR_PENDING}`);
    if (install && !cluster.namespaces[ns]) {
      if (!args.flags['create-namespace']) helmError(call, `${installOnly ? 'INSTALLATION FAILED: ' : ''}create: failed to create: namespaces "${ns}" not found`);
      cluster.namespaces[ns] = { labels: { name: ns, 'kubernetes.io/metadata.name': ns }, created: new Date().toISOString() };
    }
    if (rendered.error) helmError(call, install ? (installOnly ? `INSTALLATION FAILED: ${rendered.error}` : rendered.error) : `UPGRADE FAILED: ${rendered.error}`);
    const number = (last?.revision ?? 0) + 1;
    revs.push(newRevision(number, install ? 'pending-install' : 'pending-upgrade', rendered, values, chart.dir, install ? 'Initial install underway' : 'Preparing upgrade', install ? undefined : revs.find((r) => r.first_deployed)?.first_deployed));
    // Helm 4 records how it applied: server-side for a new release, as before for an existing one.
    if (major(s) >= 4) revs.at(-1).apply_method = install ? 'ssa' : (last.apply_method ?? 'csa');
    call.changed = true;
    // Like helm, apply the objects first and only then wait (the latency): during the wait the
    // new pods exist, and a watcher can see them fail.
    const applyError = applyReleaseObjects(cluster, release, ns, revs.at(-1).objects);
    if (!applyError) reconcile(s, cluster);
    return { install, number, applyError };
  });
  if (plan.install && !json && !installOnly && args.flags.install) call.out(`Release "${release}" does not exist. Installing it now.\n`);

  await call.delay();

  // Phase 2: apply, wait, and settle the revision's status (rolling back or uninstalling on failure when asked).
  const fault = call.takeFault('helmUpgrade', (f) => f.release === release);
  const outcome = withReleases(call, args, (s, cluster, releases) => {
    const revs = releases[key];
    const rev = revs?.find((r) => r.revision === plan.number);
    if (!rev) helmError(call, `release: not found`);
    let error = fault ? (fault.message ?? `cannot patch "${release}" with kind Deployment: Internal error occurred: etcdserver: request timed out`) : plan.applyError;
    if (!error) {
      reconcile(s, cluster);
      if (strategy) error = waitFailure(s, cluster, rev, strategy);
    }
    if (!error) {
      markSuperseded(revs, rev);
      rev.status = 'deployed';
      rev.description = plan.install ? 'Install complete' : 'Upgrade complete';
      rev.updated = new Date().toISOString();
      trimHistory(revs, Number(args.flags['history-max'] ?? 10));
      return { rev: structuredClone(rev), cluster: structuredClone(cluster), state: s };
    }
    rev.status = 'failed';
    rev.description = plan.install ? `Release "${release}" failed: ${error}` : `Upgrade "${release}" failed: ${error}`;
    rev.updated = new Date().toISOString();
    const why = v4 ? 'rollback-on-failure' : 'atomic';
    if (autoRollback && plan.install) {
      removeReleaseObjects(cluster, release, ns);
      delete releases[key];
      return { error: `${installOnly ? 'INSTALLATION FAILED: ' : ''}release ${release} failed, and has been uninstalled due to ${why} being set: ${error}` };
    }
    if (autoRollback) {
      const good = [...revs].reverse().find((r) => r.revision !== rev.revision && (r.status === 'deployed' || r.status === 'superseded'));
      if (good) {
        const back = { ...structuredClone(good), revision: rev.revision + 1, status: 'deployed', description: `Rollback to ${good.revision}`, updated: new Date().toISOString(), rollback_revision: good.revision };
        markSuperseded(revs, undefined);
        revs.push(back);
        applyReleaseObjects(cluster, release, ns, back.objects);
        trimHistory(revs, Number(args.flags['history-max'] ?? 10));
        return { error: `UPGRADE FAILED: release ${release} failed, and has been rolled back due to ${why} being set: ${error}` };
      }
    }
    return { error: plan.install && !installOnly ? error : `${plan.install ? 'INSTALLATION' : 'UPGRADE'} FAILED: ${error}` };
  });
  if (outcome.error) {
    if (v4) call.err(`level=WARN msg="upgrade failed" name=${release} error="${outcome.error.replace(/"/g, '\\"').split('\n').join('\\n')}"\n`);
    helmError(call, outcome.error);
  }
  if (json) call.out(`${JSON.stringify(releaseJson(outcome.state, outcome.cluster, release, ns, outcome.rev, { withChart: true }))}\n`);
  else {
    if (!plan.install) call.out(`Release "${release}" has been upgraded. Happy Helming!\n`);
    call.out(statusTable(outcome.state, release, ns, outcome.rev));
  }
}

function findRelease(call, releases, key) {
  const revs = releases[key];
  if (!revs || revs.length === 0) helmError(call, 'release: not found');
  return revs;
}

export const commands = {
  version: {
    flags: { template: 'value', short: 'bool', 'c|client': 'bool' },
    run(call, args, state) {
      const t = state.tools.helm;
      const data = { Version: t.version, GitCommit: t.gitCommit, GitTreeState: 'clean', GoVersion: t.goVersion };
      if (major(state) >= 4) data.KubeClientVersion = 'v1.35';
      if (args.flags.template) {
        try {
          call.out(renderTemplate(args.flags.template, data));
        } catch (error) {
          if (error instanceof TemplateUnsupported) call.unexpected(error.message);
          throw error;
        }
      } else if (args.flags.short) call.out(`${t.version}+g${t.gitCommit.slice(0, 7)}\n`);
      else call.out(`version.BuildInfo{${Object.entries(data).map(([k, v]) => `${k}:"${v}"`).join(', ')}}\n`);
    },
  },

  upgrade: {
    cluster: true,
    flags: { ...upgradeFlags, 'dry-run': 'optional' },
    optionalDefaults: { wait: BARE, 'dry-run': 'client' },
    manualLatency: true,
    mutating: true,
    run: (call, args, state) => upgrade(call, args, state, false),
  },

  install: {
    cluster: true,
    flags: { ...upgradeFlags, 'dry-run': 'optional', 'generate-name': 'bool' },
    optionalDefaults: { wait: BARE, 'dry-run': 'client' },
    manualLatency: true,
    mutating: true,
    run: (call, args, state) => upgrade(call, args, state, true),
  },

  status: {
    cluster: true,
    flags: { 'o|output': 'value', revision: 'value', 'show-resources': 'bool', 'show-desc': 'bool' },
    v3only: ['show-resources', 'show-desc'],
    run(call, args) {
      const view = withReleases(call, args, (s, cluster, releases, ns) => {
        const revs = findRelease(call, releases, `${ns}/${args.positionals[0]}`);
        const rev = args.flags.revision ? revs.find((r) => r.revision === Number(args.flags.revision)) : revs.at(-1);
        if (!rev) helmError(call, 'release: not found');
        return { json: releaseJson(s, cluster, args.positionals[0], ns, rev, { withResources: true }), table: statusTable(s, args.positionals[0], ns, rev) + (args.flags['show-desc'] ? `DESCRIPTION: ${rev.description}\n` : '') };
      });
      if (args.flags.output === 'json') call.out(`${JSON.stringify(view.json)}\n`);
      else if (!args.flags.output || args.flags.output === 'table') call.out(view.table);
      else call.unexpected(`-o ${args.flags.output} is not simulated`);
    },
  },

  history: {
    cluster: true,
    flags: { 'o|output': 'value', max: 'value' },
    run(call, args, state) {
      const max = Number(args.flags.max ?? 256);
      const rows = withReleases(call, args, (s, cluster, releases, ns) =>
        findRelease(call, releases, `${ns}/${args.positionals[0]}`)
          .slice(-max)
          .map((r) => ({
            revision: r.revision,
            updated: r.updated,
            status: r.status,
            chart: r.chart,
            app_version: r.app_version,
            description: r.description,
            ...(major(state) >= 4 && r.rollback_revision ? { rollback_revision: r.rollback_revision } : {}),
          })),
      );
      if (args.flags.output === 'json') call.out(`${JSON.stringify(rows)}\n`);
      else if (!args.flags.output || args.flags.output === 'table') {
        call.out('REVISION\tUPDATED                 \tSTATUS    \tCHART          \tAPP VERSION\tDESCRIPTION\n');
        for (const r of rows) call.out(`${r.revision}       \t${ansic(r.updated)}\t${r.status}\t${r.chart}\t${r.app_version}\t${r.description}\n`);
      } else call.unexpected(`-o ${args.flags.output} is not simulated`);
    },
  },

  rollback: {
    cluster: true,
    flags: { wait: 'optional', 'wait-for-jobs': 'bool', timeout: 'value', 'cleanup-on-fail': 'bool', force: 'bool', 'no-hooks': 'bool', 'recreate-pods': 'bool', 'history-max': 'value', 'dry-run': 'optional' },
    optionalDefaults: { wait: BARE, 'dry-run': 'client' },
    manualLatency: true,
    mutating: true,
    async run(call, args, state) {
      const [release, revArg] = args.positionals;
      if (!release) helmError(call, '"helm rollback" requires at least 1 argument');
      const strategy = waitStrategy(state, args, false);
      const plan = withReleases(call, args, (s, cluster, releases, ns) => {
        const revs = findRelease(call, releases, `${ns}/${release}`);
        const current = revs.at(-1);
        // Unlike upgrade, helm's rollback does not refuse a pending release: it is the usual way
        // out of pending-upgrade (pkg/action/rollback.go has no such check).
        const target = revArg && Number(revArg) !== 0 ? Number(revArg) : current.revision - 1;
        const good = revs.find((r) => r.revision === target);
        if (!good) helmError(call, `release has no ${target} version`);
        const back = { ...structuredClone(good), revision: current.revision + 1, status: 'pending-rollback', description: `Rollback to ${target}`, updated: new Date().toISOString(), rollback_revision: target };
        revs.push(back);
        call.changed = true;
        return { ns, number: back.revision };
      });
      await call.delay();
      const error = withReleases(call, args, (s, cluster, releases) => {
        const revs = releases[`${plan.ns}/${release}`];
        const rev = revs?.find((r) => r.revision === plan.number);
        if (!rev) helmError(call, 'release: not found');
        const refused = applyReleaseObjects(cluster, release, plan.ns, rev.objects);
        reconcile(s, cluster);
        const failure = refused ?? (strategy ? waitFailure(s, cluster, rev, strategy) : undefined);
        for (const r of revs) if (r !== rev && r.status === 'deployed') r.status = 'superseded';
        rev.updated = new Date().toISOString();
        if (failure) {
          rev.status = 'failed';
          rev.description = `Rollback "${release}" failed: ${failure}`;
          return failure;
        }
        rev.status = 'deployed';
        trimHistory(revs, Number(args.flags['history-max'] ?? 10));
        return undefined;
      });
      if (error) helmError(call, error);
      call.out('Rollback was a success! Happy Helming!\n');
    },
  },

  uninstall: {
    cluster: true,
    flags: { wait: 'optional', timeout: 'value', 'ignore-not-found': 'bool', 'keep-history': 'bool', 'no-hooks': 'bool', cascade: 'value', description: 'value', 'dry-run': 'bool' },
    optionalDefaults: { wait: BARE },
    manualLatency: true,
    mutating: true,
    async run(call, args) {
      const names = args.positionals;
      if (names.length === 0) helmError(call, '"helm uninstall" requires at least 1 argument');
      const missing = [];
      const found = withReleases(call, args, (s, cluster, releases, ns) => {
        const present = [];
        for (const name of names) {
          const revs = releases[`${ns}/${name}`];
          if (!revs || revs.length === 0 || revs.at(-1).status === 'uninstalled') missing.push(name);
          else {
            revs.at(-1).status = 'uninstalling';
            present.push(name);
            call.changed = true;
          }
        }
        return { ns, present };
      });
      await call.delay();
      withReleases(call, args, (s, cluster, releases) => {
        for (const name of found.present) {
          const key = `${found.ns}/${name}`;
          removeReleaseObjects(cluster, name, found.ns);
          if (args.flags['keep-history'] && releases[key]) {
            const last = releases[key].at(-1);
            last.status = 'uninstalled';
            last.description = args.flags.description ?? 'Uninstallation complete';
            last.updated = new Date().toISOString();
          } else delete releases[key];
        }
      });
      for (const name of found.present) call.out(`release "${name}" uninstalled\n`);
      if (missing.length > 0 && !args.flags['ignore-not-found']) helmError(call, `uninstall: Release not loaded: ${missing[0]}: release: not found`);
    },
  },

  list: {
    cluster: true,
    flags: {
      'o|output': 'value',
      'a|all': 'bool',
      'A|all-namespaces': 'bool',
      'q|short': 'bool',
      'f|filter': 'value',
      'm|max': 'value',
      pending: 'bool',
      failed: 'bool',
      deployed: 'bool',
      superseded: 'bool',
      uninstalled: 'bool',
      uninstalling: 'bool',
      'd|date': 'bool',
      'r|reverse': 'bool',
      'no-headers': 'bool',
      'time-format': 'value',
      'l|selector': 'value',
    },
    run(call, args) {
      const f = args.flags;
      const states = new Set();
      if (f.deployed) states.add('deployed');
      if (f.failed) states.add('failed');
      if (f.pending) ['pending-install', 'pending-upgrade', 'pending-rollback'].forEach((x) => states.add(x));
      if (f.superseded) states.add('superseded');
      if (f.uninstalled) states.add('uninstalled');
      if (f.uninstalling) states.add('uninstalling');
      if (states.size === 0) ['deployed', 'failed'].forEach((x) => states.add(x));
      const rows = withReleases(call, args, (s, cluster, releases, ns) =>
        Object.entries(releases)
          .filter(([key, revs]) => revs.length > 0 && (f['all-namespaces'] || key.startsWith(`${ns}/`)))
          .map(([key, revs]) => ({ key, rev: revs.at(-1) }))
          .filter(({ key, rev }) => (f.all || states.has(rev.status)) && (!f.filter || new RegExp(f.filter).test(key.split('/')[1])))
          .map(({ key, rev }) => ({
            name: key.split('/')[1],
            namespace: key.split('/')[0],
            revision: String(rev.revision),
            updated: goTimeString(rev.updated),
            status: rev.status,
            chart: rev.chart,
            app_version: rev.app_version,
          }))
          .sort((a, b) => (f.date ? a.updated.localeCompare(b.updated) : a.name.localeCompare(b.name))),
      );
      if (f.reverse) rows.reverse();
      const limited = rows.slice(0, Number(f.max ?? 256) || undefined);
      if (f.short) {
        if (f.output === 'json') call.out(`${JSON.stringify(limited.map((r) => r.name))}\n`);
        else call.out(limited.map((r) => `${r.name}\n`).join(''));
      } else if (f.output === 'json') call.out(`${JSON.stringify(limited)}\n`);
      else if (!f.output || f.output === 'table') {
        if (!f['no-headers']) call.out('NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\n');
        for (const r of limited) call.out(`${r.name}\t${r.namespace}\t${r.revision}\t${r.updated}\t${r.status}\t${r.chart}\t${r.app_version}\n`);
      } else call.unexpected(`-o ${f.output} is not simulated`);
    },
  },

  'get values': {
    cluster: true,
    flags: { 'o|output': 'value', 'a|all': 'bool', revision: 'value' },
    async run(call, args) {
      const values = withReleases(call, args, (s, cluster, releases, ns) => {
        const revs = findRelease(call, releases, `${ns}/${args.positionals[0]}`);
        const rev = args.flags.revision ? revs.find((r) => r.revision === Number(args.flags.revision)) : revs.at(-1);
        if (!rev) helmError(call, 'release: not found');
        return args.flags.all ? deepMerge(rev.chartDefaults ?? {}, rev.values) : rev.values;
      });
      const empty = Object.keys(values).length === 0;
      if (args.flags.output === 'json') call.out(`${JSON.stringify(values ?? null)}\n`);
      else if (!args.flags.output || args.flags.output === 'table' || args.flags.output === 'yaml') {
        const { stringify } = await import('yaml');
        if (args.flags.output !== 'yaml') call.out(args.flags.all ? 'COMPUTED VALUES:\n' : 'USER-SUPPLIED VALUES:\n');
        call.out(empty ? 'null\n' : stringify(values));
      } else call.unexpected(`-o ${args.flags.output} is not simulated`);
    },
  },

  'get manifest': {
    cluster: true,
    flags: { revision: 'value' },
    run(call, args) {
      const manifest = withReleases(call, args, (s, cluster, releases, ns) => {
        const revs = findRelease(call, releases, `${ns}/${args.positionals[0]}`);
        const rev = args.flags.revision ? revs.find((r) => r.revision === Number(args.flags.revision)) : revs.at(-1);
        if (!rev) helmError(call, 'release: not found');
        return rev.manifest ?? '';
      });
      call.out(`${manifest}\n`);
    },
  },

  test: {
    cluster: true,
    flags: { logs: 'bool', timeout: 'value', filter: 'list', 'hide-notes': 'bool' },
    mutating: true,
    run(call, args, state) {
      const release = args.positionals[0];
      const fault = call.takeFault('helmTest', (f) => f.release === release);
      const logs = fault?.logs ?? ['wget: download timed out'];
      const view = withReleases(call, args, (s, cluster, releases, ns) => {
        const rev = findRelease(call, releases, `${ns}/${release}`).at(-1);
        const unready =
          Object.keys(rev.objects?.deployments ?? {}).some((k) => !cluster.deployments[k] || !rolloutState(s, cluster, k).done) ||
          Object.keys(rev.objects?.statefulsets ?? {}).some((k) => !cluster.statefulsets?.[k] || !statefulSetState(s, cluster, k).done);
        const tests = rev.tests ?? [];
        const failed = tests.length > 0 && (fault || unready);
        // A failed test pod stays (hook-succeeded deletes only passing ones): `kubectl logs` reads it.
        if (failed) cluster.testPods = { ...cluster.testPods, [`${ns}/${tests[0]}`]: { logs } };
        // Helm runs the test hooks in turn and stops at the first that fails; each run is recorded on its hook.
        const now = new Date().toISOString();
        for (const hook of (rev.hooks ?? []).filter((h) => h.events.includes('test'))) {
          hook.last_run = { started_at: now, completed_at: now, phase: failed ? 'Failed' : 'Succeeded' };
          if (failed) break;
        }
        return { ns, rev: structuredClone(rev), failed };
      });
      const tests = view.rev.tests ?? [];
      if (view.failed) {
        call.out(statusTable(state, release, view.ns, view.rev));
        if (args.flags.logs) call.out(`POD LOGS: ${tests[0]}\n${logs.join('\n')}\n`);
        helmError(call, `1 error occurred:\n\t* pod ${tests[0]} failed\n`);
      }
      // Helm reads the logs after its hook cleanup: a passing pod with hook-succeeded is gone (helm/helm#9098).
      const deleted = tests.find((t) => (view.rev.objects?.testsDeletedOnSuccess ?? []).includes(t));
      if (args.flags.logs && deleted) {
        call.out(statusTable(state, release, view.ns, view.rev));
        helmError(call, `unable to get pod logs for ${deleted}: pods "${deleted}" not found`);
      }
      call.out(statusTable(state, release, view.ns, view.rev));
    },
  },
};
