// Images for the cluster tier's node: built by the tier's Docker Engine (on the host's network
// namespace, the one that reaches the package registries) and handed to the node's containerd
// over its unix socket — reachable from any namespace — as Minikube's containerd runtime does
// after `minikube image build`. Used by node.ts and by the minikube stand-in (minikube.mjs).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The sandbox image containerd is configured with; never pulled (nothing can be). */
export const pauseImage = 'registry.k8s.io/pause:3.10.1';
/** The namespace the CRI plugin keeps the kubelet's images in. */
const criNamespace = 'k8s.io';
/** Debian's client, the daemon's own version (a newer one may sit earlier on PATH). */
export const dockerBin = '/usr/bin/docker';

/** Runs a command; rejects with its stderr when it fails. */
export function run(command, args, { env = process.env, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim()}`))));
    if (input !== undefined) child.stdin.end(input);
  });
}

/** `docker save refs | ctr -n k8s.io images import -`, the two processes piped directly. */
export function importImages({ dockerHost, containerd, refs }) {
  return new Promise((resolve, reject) => {
    const save = spawn(dockerBin, ['save', ...refs], { env: { ...process.env, DOCKER_HOST: dockerHost }, stdio: ['ignore', 'pipe', 'pipe'] });
    const load = spawn('ctr', ['--address', containerd, '-n', criNamespace, 'images', 'import', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    save.stderr.on('data', (d) => (errors += d));
    load.stderr.on('data', (d) => (errors += d));
    save.stdout.pipe(load.stdin);
    let pending = 2;
    let failed = false;
    const done = (what) => (code) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} exited ${code}: ${errors.trim()}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    save.on('close', done('docker save'));
    load.on('close', done('ctr images import'));
  });
}

/** The references containerd holds for the kubelet. */
export async function nodeImages(containerd) {
  const out = await run('ctr', ['--address', containerd, '-n', criNamespace, 'images', 'list', '-q']);
  return out.split('\n').filter(Boolean);
}

// Kubernetes' build/pause/linux/pause.c, in short: PID 1 of every pod sandbox, reaping orphans
// and leaving on SIGINT/SIGTERM.
const pauseSource = `#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void sigdown(int signo) { psignal(signo, "Shutting down, got signal"); exit(0); }
static void sigreap(int signo) { (void)signo; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction down = {.sa_handler = sigdown}, reap = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &down, NULL) < 0 || sigaction(SIGTERM, &down, NULL) < 0 || sigaction(SIGCHLD, &reap, NULL) < 0) return 1;
  for (;;) pause();
}
`;

/** Builds the pause image into the tier's Docker Engine unless it holds it already (gcc, static, as Kubernetes builds it). */
export async function ensurePauseImage(dockerHost) {
  const env = { ...process.env, DOCKER_HOST: dockerHost };
  const known = await run(dockerBin, ['image', 'inspect', pauseImage], { env }).then(() => true, () => false);
  if (known) return;
  const dir = mkdtempSync(join(tmpdir(), 'pause-'));
  try {
    writeFileSync(join(dir, 'pause.c'), pauseSource);
    await run('gcc', ['-Os', '-Wall', '-Werror', '-static', '-o', join(dir, 'pause'), join(dir, 'pause.c')]);
    await run('strip', [join(dir, 'pause')]);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n');
    await run(dockerBin, ['build', '--network', 'none', '-t', pauseImage, dir], { env: { ...env, DOCKER_BUILDKIT: '1' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
