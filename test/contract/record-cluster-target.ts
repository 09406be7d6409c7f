// Re-records test/contract/recorded/cluster-target/*.json (the cluster target's docker pushes and
// image lookups, and kubectl against a real node: nodes, KEP-1755's ConfigMap, the pull probe's
// pod states, port-forward) from a Docker Engine, a control plane with its node, and OCI registries
// this script starts and stops itself (../cluster/: build.sh, control-plane.ts, registry.ts):
//   TODO_DEPLOY_RECORD=1 node --import ./bench/register.mjs test/contract/record-cluster-target.ts
// Needs root, the cluster tier's Debian packages (../cluster/install.sh, ../engine/install.sh)
// and a free 10.213.1.0/30 (no other cluster tier running). Without TODO_DEPLOY_RECORD=1 it
// makes every call and prints the outputs, writing nothing. The calls themselves are
// ../cluster/cluster-target.ts's, which node/cluster-target.test.ts re-checks in the node tier.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordClusterTarget, stored, type DockerClient, type TargetEnv, type TargetRecording } from '../cluster/cluster-target.js';
import { startControlPlane, type ControlPlane } from '../cluster/control-plane.js';
import { ensurePauseImage } from '../cluster/images.mjs';
import { nodeIp } from '../cluster/namespaces.js';
import { authRegistryPort, refusedRegistryHost, registryPort, startRegistry, type Registry } from '../cluster/registry.js';
import { startDaemon, type Daemon } from '../engine/daemon.js';
import { ensureRealTools } from '../support/real-tools.js';

const OUT = fileURLToPath(new URL('./recorded/cluster-target/', import.meta.url));
const refusedHost = refusedRegistryHost;
const httpsOnlyPort = 5002;

async function main(): Promise<void> {
  ensureRealTools();
  const bin = execFileSync(fileURLToPath(new URL('../cluster/build.sh', import.meta.url)), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
  const work = mkdtempSync(join(tmpdir(), 'tdrec-target-'));
  let daemon: Daemon | undefined;
  let plane: ControlPlane | undefined;
  let registries: Registry[] = [];
  const recordings = new Map<string, TargetRecording>();
  try {
    daemon = await startDaemon({ insecureRegistries: [`${nodeIp}:${registryPort}`, `${nodeIp}:${authRegistryPort}`, refusedHost] });
    await ensurePauseImage(daemon.host);
    plane = await startControlPlane(bin, { dockerHost: daemon.host });
    const p = plane;
    const start = async () => {
      for (const r of registries) await r.stop();
      const common = { bin, ns: p.ns, nodeDir: p.dir };
      registries = [
        await startRegistry({ ...common, port: registryPort }),
        await startRegistry({ ...common, port: authRegistryPort, auth: true }),
        await startRegistry({ ...common, port: httpsOnlyPort, containerd: false }),
      ];
      return { host: registries[0]!.host, authHost: registries[1]!.host, ...registries[1]!.credentials! };
    };
    const env: TargetEnv = {
      dockerHost: daemon.host,
      kubeconfig: plane.kubeconfig,
      registry: await start(),
      refusedHost,
      httpsOnlyHost: `${nodeIp}:${httpsOnlyPort}`,
      repository: 'todo-backend',
      namespace: 'cluster-target',
      work,
      freshRegistries: async () => void Object.assign(env.registry, await start()),
    };
    const clients: DockerClient[] = [{ id: 'docker-20.10', path: '/usr/bin/docker' }];
    if (existsSync('/usr/local/bin/docker')) clients.push({ id: 'docker-28', path: '/usr/local/bin/docker' });
    const scrub = (s: string) => s.replaceAll(daemon!.runDir, '<run>').replaceAll(work, '<work>');
    await recordClusterTarget(env, clients, (name, r) => {
      const s = stored(r);
      recordings.set(name, { ...s, argv: s.argv.map(scrub), stdout: scrub(s.stdout), stderr: scrub(s.stderr) });
      console.log(`${name}: exit ${r.exitCode}\n  stdout ${JSON.stringify(r.stdout.slice(0, 400))}\n  stderr ${JSON.stringify(r.stderr.slice(0, 600))}`);
    });
  } finally {
    for (const r of registries) await r.stop();
    await plane?.stop();
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  if (process.env.TODO_DEPLOY_RECORD !== '1') {
    console.log(`${recordings.size} outputs made; nothing written (TODO_DEPLOY_RECORD=1 writes them into ${OUT})`);
    return;
  }
  mkdirSync(OUT, { recursive: true });
  for (const old of readdirSync(OUT)) if (old.endsWith('.json')) rmSync(join(OUT, old));
  for (const [name, r] of recordings) writeFileSync(join(OUT, `${name}.json`), `${JSON.stringify(r, null, 2)}\n`);
  console.log(`recorded ${recordings.size} outputs into ${OUT}`);
}

await main();
