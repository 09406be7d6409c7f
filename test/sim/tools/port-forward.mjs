// `kubectl port-forward TYPE/NAME [LOCAL:]REMOTE… --address A`: a real local listener. Each
// accepted connection is piped to the address the scenario gives for the service
// (`kube.clusters[c].serviceTargets['ns/name']`, e.g. a test's HTTP server; for a minikube
// cluster, else its profile's `serviceHosts[nodePort]`), so a client of the forwarded port talks
// to that server. Runs until SIGINT/SIGTERM (logged 130/143 by main.mjs), or until a connection
// cannot be forwarded (its pod is gone, or nothing answers at the target): then kubectl's klog line
// and `error: lost connection to pod`, exit 1.
//
// Texts from kubectl 1.34's source: client-go tools/portforward/portforward.go (`Forwarding from
// %s -> %d` per listener, `Handling connection for %d` per connection, `Unable to listen on port
// %d: %v` with `Listeners failed to create with the following errors: [unable to create listener:
// Error listen tcp4 …: bind: address already in use]`, then `unable to listen on any of the
// requested ports: [{30000 3000}]`, ErrLostConnectionToPod `lost connection to pod`); kubectl
// pkg/cmd/portforward/portforward.go (a service's port translated to its pod's target port; `pod
// is not running` check); cmd/util's `error: ` prefix.
import { createConnection, createServer } from 'node:net';
import { podStatus, podsForService, selectorMatches, uid } from './workloads.mjs';

/** --address: `localhost` (default) listens on 127.0.0.1 and ::1 (either may fail); explicit IPs must all succeed. */
function listenAddresses(flag) {
  const out = [];
  for (const a of (flag ?? 'localhost').split(',').map((x) => x.trim())) {
    if (a === 'localhost') out.push({ host: '127.0.0.1', family: 'tcp4', mode: 'all' }, { host: '::1', family: 'tcp6', mode: 'all' });
    else out.push({ host: a, family: a.includes(':') ? 'tcp6' : 'tcp4', mode: 'any' });
  }
  return out;
}

function joinHostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function listen(host, port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve({ error }));
    server.listen({ host, port, exclusive: true }, () => resolve({ server }));
  });
}

/** Go's net error text for a failed listen. */
function goListenError(error, family, host, port) {
  const what = error.code === 'EADDRINUSE' ? 'bind: address already in use' : error.code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : error.code === 'EACCES' ? 'bind: permission denied' : error.message;
  return `unable to create listener: Error listen ${family} ${joinHostPort(host, port)}: ${what}`;
}

export function portForward({ withCluster, kindOf, notFound }) {
  return {
    cluster: true,
    flags: { address: 'value', 'pod-running-timeout': 'value' },
    async run(call, args) {
      const [target, ...specs] = args.positionals;
      if (!target) call.fail(1, "error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubectl port-forward -h' for help and examples");
      if (specs.length === 0) call.fail(1, "error: at least 1 PORT is required for port-forward\nSee 'kubectl port-forward -h' for help and examples");
      const [kindWord, objectName] = target.includes('/') ? target.split('/') : ['pod', target];
      const kind = kindOf(call, kindWord);
      if (kind !== 'services' && kind !== 'pods') call.unexpected(`port-forward to a ${kindWord} is not simulated`);
      const ports = specs.map((p) => {
        const [local, remote] = p.includes(':') ? p.split(':') : [p, p];
        return { local: local === '' ? 0 : Number(local), remote: Number(remote) };
      });
      if (ports.some((p) => !Number.isInteger(p.local) || !Number.isInteger(p.remote))) call.unexpected('port-forward with named ports is not simulated');

      // Resolve the object, the pod kubectl would pick, the target ports, and where to connect.
      const plan = withCluster(call, args, (s, cluster, ns) => {
        let podKey;
        let forwards;
        let dest;
        if (kind === 'services') {
          const svcKey = `${ns}/${objectName}`;
          const svc = cluster.services[svcKey];
          if (!svc) call.fail(1, notFound('services', objectName));
          const candidates = Object.keys(cluster.pods)
            .filter((k) => k.startsWith(`${ns}/`) && selectorMatches(svc.selector, cluster.pods[k].labels))
            .sort();
          if (candidates.length === 0) call.fail(1, 'error: timed out waiting for the condition');
          const ready = podsForService(s, cluster, ns, svc).map(([k]) => k);
          podKey = ready[0] ?? candidates[0];
          const pod = cluster.pods[podKey];
          forwards = ports.map((p) => {
            const sp = svc.ports.find((x) => x.port === p.remote);
            if (!sp) call.fail(1, `error: Service ${objectName} does not have a service port ${p.remote}`);
            const containerPorts = pod.containers.flatMap((c) => c.ports);
            const targetPort = typeof sp.targetPort === 'number' ? sp.targetPort : /^\d+$/.test(String(sp.targetPort)) ? Number(sp.targetPort) : containerPorts.length === 1 ? containerPorts[0] : sp.port;
            return { local: p.local, remote: targetPort, nodePort: sp.nodePort };
          });
          dest = cluster.serviceTargets?.[svcKey];
          if (!dest && cluster.minikubeProfile) {
            const hosts = s.minikube.profiles[cluster.minikubeProfile]?.serviceHosts ?? {};
            dest = forwards.map((f) => hosts[String(f.nodePort)]).find(Boolean);
          }
        } else {
          podKey = `${ns}/${objectName}`;
          if (!cluster.pods[podKey]) call.fail(1, notFound('pods', objectName));
          forwards = ports.map((p) => ({ local: p.local, remote: p.remote }));
          dest = cluster.podTargets?.[podKey];
        }
        const st = podStatus(s, cluster, podKey, cluster.pods[podKey]);
        if (st.phase !== 'Running') call.fail(1, `error: unable to forward port because pod is not running. Current status=${st.phase}`);
        return { podKey, forwards, dest, targetKey: kind === 'services' ? `${ns}/${objectName}` : podKey, kind };
      });

      const servers = [];
      let anySuccess = false;
      for (const f of plan.forwards) {
        const failures = { all: 0, any: 0 };
        const successes = { all: 0, any: 0 };
        const errors = [];
        let port = f.local;
        for (const a of listenAddresses(args.flags.address)) {
          const r = await listen(a.host, port);
          if (r.error) {
            errors.push(goListenError(r.error, a.family, a.host, port));
            failures[a.mode]++;
            continue;
          }
          successes[a.mode]++;
          port = r.server.address().port;
          servers.push({ server: r.server, forward: { ...f, local: port } });
          call.out(`Forwarding from ${joinHostPort(a.host, port)} -> ${f.remote}\n`);
        }
        f.local = port;
        if ((successes.all === 0 && failures.all > 0) || failures.any > 0) {
          call.err(`Unable to listen on port ${f.local}: Listeners failed to create with the following errors: [${errors.join(' ')}]\n`);
          // Listeners of this port that did open stay open in kubectl too; none of the product's calls mixes modes.
        } else anySuccess = true;
      }
      if (!anySuccess) {
        for (const { server } of servers) server.close();
        call.fail(1, `error: unable to listen on any of the requested ports: [${plan.forwards.map((f) => `{${f.local} ${f.remote}}`).join(' ')}]`);
      }

      // A forwarding error ends kubectl (client-go closes the stream connection after "an error
      // occurred forwarding", and forward() returns ErrLostConnectionToPod): recorded in
      // cluster-target/port-forward.json, where the pod was deleted and kubectl kept running until
      // the next connection, then printed the error and exited 1.
      let lose;
      const lost = new Promise((_, reject) => {
        lose = reject;
      });
      const loseConnection = (forward, why, socket) => {
        socket.destroy();
        call.err(`${klogError()} portforward.go:424] "Unhandled Error" err="an error occurred forwarding ${forward.local} -> ${forward.remote}: error forwarding port ${forward.remote} to pod ${sandboxId(plan.podKey)}, uid : ${why.replaceAll('"', '\\"')}"\n`);
        for (const { server } of servers) server.close();
        try {
          call.fail(1, 'error: lost connection to pod');
        } catch (error) {
          lose(error);
        }
      };
      for (const { server, forward } of servers) {
        server.on('connection', (socket) => {
          call.out(`Handling connection for ${forward.local}\n`);
          const s = call.state();
          const entry = s.kube.contexts[args.flags.context];
          const cluster = entry && s.kube.clusters[entry.cluster];
          if (!cluster?.pods?.[plan.podKey]) {
            loseConnection(forward, `network namespace for sandbox "${sandboxId(plan.podKey)}" is closed`, socket);
            return;
          }
          const dest = currentDestination(s, args, plan);
          const refused = `failed to execute portforward in network namespace "/var/run/netns/cni-${uid(plan.podKey)}": failed to connect to localhost:${forward.remote} inside namespace "${sandboxId(plan.podKey)}", IPv4: dial tcp4 127.0.0.1:${forward.remote}: connect: connection refused IPv6 dial tcp6 [::1]:${forward.remote}: connect: connection refused `;
          if (!dest) {
            loseConnection(forward, refused, socket);
            return;
          }
          const at = dest.lastIndexOf(':');
          const upstream = createConnection({ host: dest.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(dest.slice(at + 1)) });
          upstream.on('error', () => loseConnection(forward, refused, socket));
          socket.on('error', () => upstream.destroy());
          socket.pipe(upstream);
          upstream.pipe(socket);
        });
      }
      // Until interrupted (SIGINT/SIGTERM, logged 130/143 by main.mjs) or a connection fails.
      await lost;
    },
  };
}

/** klog's header for an error line: E<MMDD> <hh:mm:ss.micro> <pid> */
function klogError() {
  const d = new Date();
  const two = (n) => String(n).padStart(2, '0');
  return `E${two(d.getMonth() + 1)}${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds() * 1000).padStart(6, '0')}   ${process.pid}`;
}

/** The pod's sandbox id (64 hex), as containerd names it in port-forward errors. */
function sandboxId(podKey) {
  return (uid(`sandbox/${podKey}`) + uid(`sandbox2/${podKey}`)).replaceAll('-', '').slice(0, 64);
}

/** The destination now (a test may point serviceTargets elsewhere mid-run). */
function currentDestination(s, args, plan) {
  const entry = s.kube.contexts[args.flags.context];
  const cluster = entry && s.kube.clusters[entry.cluster];
  const fromState = plan.kind === 'services' ? cluster?.serviceTargets?.[plan.targetKey] : cluster?.podTargets?.[plan.targetKey];
  return fromState ?? plan.dest;
}
