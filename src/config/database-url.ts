// DATABASE_URL, read one way everywhere: validation, masking, redaction, setup's encoding
// offer and its reachability probe.
//
// A password belongs percent-encoded in a URL, and people paste it raw. The parsers then
// disagree with the user and with each other: WHATWG's URL (Node's `new URL`) ends the
// authority at the first `/`, `?` or `#` and splits it at the last `@` before that; libpq
// (conninfo_uri_parse_options in fe-connect.c) scans from the start for the first `@` or `/`
// and ends the password at the first `@`. For `postgresql://todo:p@ss/x@db.internal/todo` both
// read the host as `ss`, and a message that shows "the host" shows part of the password.
// The user meant the LAST `@` of the string to end the credentials, so that is where this
// module looks. Credentials holding `@ / ? #` (or a `%` that starts no %XX) are refused, and
// nothing before that `@` is shown. Once they hold none of those, WHATWG, libpq and this split
// all find the host at the same place: neither parser can stop inside the credentials.

export interface DatabaseUrl {
  /** Decoded; '' when the URL names none. */
  user: string;
  password: string;
  /** As WHATWG's URL gives it: an IPv6 address keeps its brackets. */
  host: string;
  port?: number;
  database: string;
  /** Fit to print: passwords (in the credentials or a `password=` parameter) replaced. */
  masked: string;
}

interface Parts {
  scheme: string;
  /** Everything between the scheme and the last `@`; undefined without an `@`. */
  credentials?: string;
  user: string;
  password?: string;
  /** Host, port, database and parameters: everything after the last `@`. */
  rest: string;
}

// Any scheme: a mysql:// URL typed by mistake still has a password to hide.
const SCHEME = /^[a-z][\w+.-]*:\/\//i;
const POSTGRES = /^postgres(?:ql)?:\/\//i;
// What ends a user name or password for one parser or another, and a `%` that is no escape.
const UNSAFE = /[@/?#]|%(?![0-9a-f]{2})/i;
const QUERY_PASSWORD = /([?&]password=)([^&#]*)/gi;
const QUERY_PASSWORD_START = /[?&]password=/i;

export const EXAMPLE = 'postgresql://user:password@host:5432/dbname';
const ENCODINGS = '@ → %40, # → %23, / → %2F, ? → %3F, : → %3A, % → %25';

function split(value: string): Parts | undefined {
  const scheme = SCHEME.exec(value)?.[0];
  if (!scheme) return undefined;
  const body = value.slice(scheme.length);
  const at = body.lastIndexOf('@');
  if (at === -1) return { scheme, user: '', rest: body };
  const credentials = body.slice(0, at);
  const colon = credentials.indexOf(':');
  const user = colon === -1 ? credentials : credentials.slice(0, colon);
  const password = colon === -1 ? undefined : credentials.slice(colon + 1);
  return { scheme, credentials, user, password, rest: body.slice(at + 1) };
}

const maskQuery = (rest: string, mask: (secret: string) => string) => rest.replace(QUERY_PASSWORD, (_, key: string, secret: string) => key + mask(secret));

/** The URL parsed, or why `up` refuses it: a phrase that follows the key ("has no host (…)"). */
export function parseDatabaseUrl(value: string): { url: DatabaseUrl; problem?: undefined } | { url?: undefined; problem: string } {
  const parts = split(value);
  if (!parts || !POSTGRES.test(value)) return { problem: `must be a postgres:// or postgresql:// URL, e.g. ${EXAMPLE}.` };
  const { scheme, credentials, user, password, rest } = parts;
  if (credentials !== undefined && UNSAFE.test(credentials)) {
    // After the last @ comes the host, unless that @ was inside a password=… parameter: then show nothing.
    const shown = QUERY_PASSWORD_START.test(credentials) ? '' : ` The URL is shown without them: ${scheme}****@${maskQuery(rest, () => '****')}`;
    return {
      problem:
        'has a user name or password with characters a URL cannot hold as they are (@ / ? # or a lone %), so the host would be read from inside the password. ' +
        `Percent-encode them in the user name and password: ${ENCODINGS} (\`todo-deploy setup\` can do it for you).${shown}`,
    };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Nothing of it is shown: without a usable `@` any part of it may be a password.
    return { problem: `is not a valid URL; check the host and port after the @, e.g. ${EXAMPLE}.` };
  }
  const masked = scheme + (credentials === undefined ? '' : `${user}${password ? ':****' : password === '' ? ':' : ''}@`) + maskQuery(rest, () => '****');
  const database = decode(url.pathname.replace(/^\//, ''));
  if (!url.hostname) return { problem: `has no host (${masked}).` };
  if (database === '') return { problem: `has no database name after the host (${masked}); add /dbname.` };
  return {
    url: { user: decode(user), password: password !== undefined ? decode(password) : (url.searchParams.get('password') ?? ''), host: url.hostname, port: url.port ? Number(url.port) : undefined, database, masked },
  };
}

/**
 * The URL fit to show. While it is being typed it may not be valid yet, so the mask errs on
 * the safe side: one `*` per character (the terminal's cursor stays where the user types), and
 * with no `@` yet whatever follows a `:` may still be a password.
 */
export function maskDatabaseUrl(value: string, typing = false): string {
  const parts = split(value);
  if (!parts) return value;
  const { scheme, credentials, user, password, rest } = parts;
  const mask = (secret: string) => (typing ? '*'.repeat(secret.length) : '****');
  if (credentials === undefined) {
    const colon = rest.indexOf(':');
    if (typing && colon !== -1) return scheme + rest.slice(0, colon + 1) + '*'.repeat(rest.length - colon - 1);
    return scheme + maskQuery(rest, mask);
  }
  // A user name with a delimiter in it may be a password typed without one: hide it all.
  const shownCredentials = UNSAFE.test(user) ? mask(credentials) : password === undefined ? user : `${user}:${password && mask(password)}`;
  return `${scheme}${shownCredentials}@${maskQuery(rest, mask)}`;
}

/**
 * The URL with its user name and password percent-encoded, as the user meant them (split at
 * the last `@`); undefined when there is nothing to encode.
 */
export function encodeDatabaseUrl(value: string): string | undefined {
  const parts = split(value);
  if (!parts || parts.credentials === undefined || !UNSAFE.test(parts.credentials)) return undefined;
  const encode = (text: string) => text.replace(/%(?![0-9a-f]{2})|[@/?#:]/gi, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const password = parts.password === undefined ? '' : `:${encode(parts.password)}`;
  return `${parts.scheme}${encode(parts.user)}${password}@${parts.rest}`;
}

/**
 * Every form of the URL's secrets a message could carry: the credentials as written, the
 * password as written and decoded, its pieces (what another parser would take for a password
 * or a host), and a `password=` parameter. The redactor keeps only those long enough to mask.
 */
export function databaseUrlSecrets(value: string): string[] {
  const parts = split(value);
  if (!parts) return [];
  const passwords = [parts.password, ...[...parts.rest.matchAll(QUERY_PASSWORD)].map((m) => m[2])].filter((p): p is string => !!p);
  const pieces = passwords.flatMap((p) => p.split(/[@/?#:]/));
  const found = [parts.credentials, ...passwords, ...pieces].filter((s): s is string => !!s);
  return [...new Set(found.flatMap((s) => [s, decode(s)]))];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// The names and addresses that, inside a pod, are the pod itself: loopback (localhost, its
// subdomains, 127.0.0.0/8 also written short as libpq's resolver allows, ::1 and its IPv4-mapped
// form) and the unspecified addresses, which connect to the local machine. A database on the
// user's machine is never there. host.docker.internal is not among them: Docker Desktop's DNS
// may answer it inside Minikube's node.
const POD_ITSELF = /^(?:localhost|.+\.localhost|127(?:\.\d{1,3}){0,3}|0\.0\.0\.0|\[::1?\]|\[::ffff:7f[\da-f]{2}:[\da-f]{1,4}\])\.?$/i;

/** Why the backend's pods could not reach a database at this URL's host, or undefined. */
export function podUnreachableProblem(url: DatabaseUrl): string | undefined {
  if (!POD_ITSELF.test(url.host)) return undefined;
  return (
    `points at ${url.host}, which inside a pod is the pod itself, not your machine, so the backend could not reach the database. ` +
    'For a PostgreSQL on your machine, use host.minikube.internal instead (your machine as Minikube\'s pods see it) and let PostgreSQL listen beyond 127.0.0.1 (listen_addresses and pg_hba.conf); otherwise use a host the cluster can reach.'
  );
}
