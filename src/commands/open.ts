// `todo-deploy open`: serves the app's URLs on this machine. On the cluster target they are
// localhost ports forwarded to the Services (kubectl port-forward, started again whenever a
// pod behind one is replaced) until Ctrl-C; on Minikube the NodePorts answer already.
import { once } from 'node:events';
import { services } from '../config/schema.js';
import type { Context } from '../context.js';
import { connect, loadSettings } from '../deployment/connect.js';
import { forwardService, markServed, servedBy } from '../deployment/forward.js';
import { openedUrl } from '../deployment/view.js';

export async function open(ctx: Context): Promise<void> {
  const deployment = await connect(ctx, await loadSettings(ctx));
  const [frontend, backend] = [openedUrl(deployment.services.frontend), openedUrl(deployment.services.backend)];
  const urls = [`  App       ${ctx.out.style.cyan(frontend)}`, `  API docs  ${ctx.out.style.cyan(`${backend}/docs`)}`];
  const served = deployment.services.frontend.publicUrl ? 'the Ingress or LoadBalancers of the cluster' : !deployment.forwarded ? "the Minikube profile's NodePorts" : undefined;
  ctx.out.result({ urls: { frontend, backend, apiDocs: `${backend}/docs` }, ...(deployment.forwarded && { access: served ? 'cluster' : 'port-forward' }) });
  if (served) {
    ctx.out.print([`The app is served by ${served}:`, ...urls].join('\n'));
    return;
  }
  // Another `open` of this app serves it already: a second would only go through its ports, and serve nothing once it ends.
  const opens = await Promise.all(services.map((s) => servedBy(ctx.stateDir, deployment.services[s].config.nodePort)));
  const sameApp = opens.every((o, i) => o && o.kubeContext === deployment.kubeContext && o.namespace === deployment.config.namespace && o.release === deployment.services[services[i]!].config.release);
  if (sameApp) {
    ctx.out.print([`The app is served already by the \`todo-deploy open\` running as pid ${opens[0]!.pid}:`, ...urls].join('\n'));
    return;
  }
  const forwards = services.map((s) => forwardService(ctx, deployment, s, (text) => ctx.out.info(text)));
  let unmark = async () => {};
  try {
    await Promise.all(forwards.map((f) => f.ready));
    // So that `up` or `verify` in another terminal checks through these forwards, not beside them.
    unmark = await markServed(ctx.stateDir, deployment);
    ctx.out.print([`Forwarding to kube-context "${deployment.kubeContext}", namespace ${deployment.config.namespace}:`, ...urls, 'Press Ctrl-C to stop.'].join('\n'));
    if (!ctx.signal.aborted) await once(ctx.signal, 'abort');
  } finally {
    await Promise.all(forwards.map((f) => f.stop()));
    await unmark();
  }
}
