// build.caBundle: behind a TLS-intercepting proxy the builds' downloads need the proxy's CA. It
// goes to `docker build` as the `ca` secret the shipped Dockerfiles mount into their download
// steps only — a path in argv, never a layer — and is checked before anything starts.
import { describe, expect, it } from 'vitest';
import { useScenarios } from './up-fixture.js';

const scenario = useScenarios();
const config = (app: { ports: { frontend: number; backend: number } }, extra: string) =>
  `timeouts:\n  verify: 5s\nfrontend:\n  nodePort: ${app.ports.frontend}\nbackend:\n  nodePort: ${app.ports.backend}\n${extra}`;

describe('build.caBundle', () => {
  it('is handed to both builds as the ca secret, by its path', async () => {
    const { sim, app, up } = await scenario();
    app.write('certs/proxy-ca.pem', '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n');
    app.write('todo-deploy.yaml', config(app, 'build:\n  caBundle: certs/proxy-ca.pem\n'));
    const result = await up();
    expect(result.exitCode, result.stderr).toBe(0);
    const builds = sim.calls().filter((c) => c.tool === 'docker' && c.command === 'build');
    expect(builds).toHaveLength(2);
    for (const build of builds) {
      const at = build.argv.indexOf('--secret');
      expect(build.argv[at + 1]).toBe(`id=ca,src=${app.dir}/certs/proxy-ca.pem`);
      expect(build.argv.join(' ')).not.toContain('MIIBfake');
    }
    const images = Object.values(sim.state().docker.images['minikube/minikube']!);
    for (const image of images) expect(image.secretIds).toEqual(['ca']);
  });

  it('a missing file, or a runtime whose builds take no secrets, is refused before anything starts', async () => {
    const { sim, app, up } = await scenario();
    app.write('todo-deploy.yaml', config(app, 'build:\n  caBundle: certs/missing.pem\nminikube:\n  containerRuntime: containerd\n'));
    const result = await up();
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`build.caBundle: ${app.dir}/certs/missing.pem does not exist; point it at a PEM file`);
    expect(result.stderr).toContain('build.caBundle is set, but with minikube.containerRuntime containerd the images are built by `minikube image build`, which sends no build secrets');
    expect(sim.calls().filter((c) => c.mutating)).toEqual([]);
  });
});
