// The one rule for the URLs a user opens: the NodePorts on localhost when the profile publishes
// them (todo-deploy creates container-driver profiles so), else on the node's IP.
import { services, type Config, type Service } from '../config/schema.js';
import { containerDrivers } from '../tools/minikube.js';

export const nodePorts = (config: Config): number[] => services.map((s) => config[s].nodePort);

/** Each service's URL on a host (an IPv6 address is bracketed). */
export function urlsAt(host: string, config: Config): Record<Service, string> {
  const h = host.includes(':') ? `[${host}]` : host;
  return { frontend: `http://${h}:${config.frontend.nodePort}`, backend: `http://${h}:${config.backend.nodePort}` };
}

/**
 * Where the NodePorts are reached: localhost when the profile publishes all of them — for a
 * profile not created yet, when todo-deploy will create it so (a container driver) — else the
 * node's IP; undefined when that IP is needed but not known.
 */
export function accessHost(config: Config, profile: { published?: readonly number[]; ip?: string }): string | undefined {
  const published = profile.published ?? (containerDrivers.includes(config.minikube.driver) ? nodePorts(config) : []);
  if (nodePorts(config).every((port) => published.includes(port))) return 'localhost';
  return profile.ip;
}
