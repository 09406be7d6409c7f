// The cluster target's image pull Secret: made from a Docker config file the user points at
// (cluster.pullSecret), applied with the app's Secrets over stdin — never a value in argv —
// and named in both charts' imagePullSecrets. Only the file's `auths` go in; every credential
// in it is masked wherever todo-deploy prints.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Redactor } from '../redact.js';

export const PULL_SECRET = 'registry-credentials';

export const pullSecretName = (config: Config): string | undefined => (config.target === 'cluster' && config.cluster.pullSecret ? PULL_SECRET : undefined);

interface DockerAuth {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** `.dockerconfigjson` of the Secret: the config file's `auths`, nothing else of it. */
export async function readPullCredentials(appDir: string, config: Config, redactor: Redactor): Promise<string> {
  const given = config.cluster.pullSecret;
  // `~/.docker/config.json`, as users write it: no shell expands it here.
  const file = given.startsWith('~/') ? join(homedir(), given.slice(2)) : resolve(appDir, given);
  const fix = 'Point cluster.pullSecret at a Docker config JSON with a login for the registry (`docker --config DIR login REGISTRY` writes DIR/config.json).';
  let parsed: { auths?: Record<string, DockerAuth>; credsStore?: string; credHelpers?: object };
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as typeof parsed;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(`cluster.pullSecret ${file} ${code === 'ENOENT' ? 'does not exist' : code ? `cannot be read (${code})` : 'is not JSON'}.`, [], fix);
  }
  const auths = Object.entries(parsed?.auths ?? {}).filter(([, a]) => a && (a.auth || (a.username && a.password) || a.identitytoken));
  for (const [, a] of auths) for (const value of [a.auth, a.password, a.identitytoken]) if (value) redactor.add(value);
  if (auths.length === 0) {
    const helper = parsed?.credsStore || parsed?.credHelpers ? ` Its logins are kept by a credential helper (${parsed.credsStore ?? 'credHelpers'}), not in the file.` : '';
    throw new ConfigError(`cluster.pullSecret ${file} holds no registry login.${helper}`, [], fix);
  }
  return JSON.stringify({ auths: Object.fromEntries(auths) });
}
