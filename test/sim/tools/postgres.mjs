// The two programs `kubectl exec` runs in the database pod: pg_isready and psql (PostgreSQL 16's
// client tools, as the postgres image ships them). Only what todo-deploy sends is modelled; the
// rows live on the pod's PVC (cluster.persistentvolumeclaims[ns/claim].postgres), so they survive
// a pod's deletion and a helm uninstall, and vanish with `kubectl delete pvc`.
import { parseArgs } from './args.mjs';

const PG_ISREADY_FLAGS = { 'h|host': 'value', 'p|port': 'value', 'U|username': 'value', 'd|dbname': 'value', 't|timeout': 'value', 'q|quiet': 'bool' };
const PSQL_FLAGS = {
  'v|set|variable': 'list',
  'U|username': 'value',
  'd|dbname': 'value',
  'h|host': 'value',
  'p|port': 'value',
  't|tuples-only': 'bool',
  'A|no-align': 'bool',
  'q|quiet': 'bool',
  'X|no-psqlrc': 'bool',
  'w|no-password': 'bool',
  '1|single-transaction': 'bool',
};

/** "-tA" → "-t", "-A" when every letter is a boolean flag of the spec (getopt bundling). */
function unbundle(argv, spec) {
  const bools = new Set(Object.entries(spec).filter(([, t]) => t === 'bool').flatMap(([n]) => n.split('|').filter((x) => x.length === 1)));
  return argv.flatMap((a) => (/^-[A-Za-z0-9]{2,}$/.test(a) && [...a.slice(1)].every((ch) => bools.has(ch)) ? [...a.slice(1)].map((ch) => `-${ch}`) : [a]));
}

/** Does this psql input change the database (for the call log's `mutating`)? */
export function psqlWrites(stdin) {
  return /\b(INSERT|CREATE|UPDATE|DELETE|DROP|ALTER|TRUNCATE)\b/i.test(stdin);
}

/**
 * Runs argv in the pod's container. `ctx`: { cluster, ns, podName, container, ready }.
 * Returns { stdout, stderr, code, changed } or { unexpected: why }.
 */
export function runInPod(ctx, argv, stdin) {
  const program = argv[0]?.split('/').pop();
  if (program === 'pg_isready') return pgIsReady(ctx, argv.slice(1));
  if (program === 'psql') return psql(ctx, argv.slice(1), stdin);
  return { unexpected: `exec of ${argv[0] ?? '(nothing)'} is not simulated (only pg_isready and psql)` };
}

function parse(argv, spec) {
  try {
    return parseArgs(unbundle(argv, spec), spec);
  } catch (error) {
    return { error: error.message };
  }
}

/** pg_isready: "<host>:<port> - accepting connections" (0) or "… - no response" (2); -q prints nothing. */
function pgIsReady(ctx, argv) {
  const args = parse(argv, PG_ISREADY_FLAGS);
  if (args.error) return { unexpected: `pg_isready ${args.error}` };
  const host = args.flags.host ?? '/var/run/postgresql';
  const port = args.flags.port ?? '5432';
  const [text, code] = ctx.ready ? ['accepting connections', 0] : ['no response', 2];
  return { stdout: args.flags.quiet ? '' : `${host}:${port} - ${text}\n`, stderr: '', code };
}

/** The database on the pod's volume: { initialized, tables: { name: [{ token, written_at }] } }. */
function databaseOf(ctx) {
  const mount = ctx.container.claimMounts?.[0];
  if (!mount) return undefined;
  const pvc = ctx.cluster.persistentvolumeclaims?.[`${ctx.ns}/${mount.name}-${ctx.podName}`];
  if (!pvc) return undefined;
  pvc.postgres ??= { initialized: true, tables: {} };
  pvc.postgres.tables ??= {};
  return pvc.postgres;
}

/** Statements of a script: split on semicolons outside single-quoted strings. */
function statements(sql) {
  const out = [];
  let current = '';
  let quoted = false;
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') out.push(current);
  return out.map((s) => s.replace(/--[^\n]*/g, '').trim()).filter((s) => s !== '');
}

const TABLE = 'todo_deploy_check';
const unquote = (literal) => literal.replaceAll("''", "'");

/** PostgreSQL's error report as psql prints it on stderr (no "psql:file:line:" prefix for piped stdin, unlike -f). */
function pgError(message, statement, position, detail) {
  const line = statement.split('\n')[0];
  let text = `ERROR:  ${message}\n`;
  if (detail) text += `DETAIL:  ${detail}\n`;
  if (position !== undefined) text += `LINE 1: ${line}\n${' '.repeat(8 + position)}^\n`;
  return text;
}

/**
 * psql reading a script from stdin. Supported: the product's CREATE TABLE IF NOT EXISTS, INSERT
 * and SELECT on todo_deploy_check; anything else is reported as a syntax error at its first word
 * (real PostgreSQL would run other valid SQL: not modelled). Command tags ("CREATE TABLE",
 * "INSERT 0 1") are printed unless -q, -t or not (psql's -t only drops headers and row-count
 * footers). With ON_ERROR_STOP=1 the first error stops the script, exit 3; without it psql goes on
 * and exits 0.
 */
function psql(ctx, argv, stdin) {
  const args = parse(argv, PSQL_FLAGS);
  if (args.error) return { unexpected: `psql ${args.error}` };
  if (args.positionals.length > 0) return { unexpected: `psql positional arguments ${args.positionals.join(' ')} are not simulated` };
  const vars = Object.fromEntries((args.flags.set ?? []).map((v) => [v.split('=')[0], v.slice(v.indexOf('=') + 1)]));
  const stopOnError = ['1', 'on', 'true'].includes(String(vars.ON_ERROR_STOP ?? '').toLowerCase());
  const quiet = Boolean(args.flags.quiet);
  const tuplesOnly = Boolean(args.flags['tuples-only']);
  if (!tuplesOnly && !args.flags['no-align']) return { unexpected: 'psql aligned table output is not simulated (use -tA)' };
  if (!ctx.ready) {
    const host = args.flags.host;
    const port = args.flags.port ?? '5432';
    const why = host
      ? `psql: error: connection to server at "${host}", port ${port} failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n`
      : `psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.${port}" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n`;
    return { stdout: '', stderr: why, code: 2 };
  }
  const db = databaseOf(ctx);
  if (!db) return { unexpected: 'psql in a pod without a volumeClaimTemplate volume is not simulated' };
  let stdout = '';
  let stderr = '';
  let changed = false;
  const tag = (t) => {
    if (!quiet) stdout += `${t}\n`;
  };
  for (const stmt of statements(stdin)) {
    const flat = stmt.replace(/\s+/g, ' ');
    let m;
    let error;
    if (new RegExp(`^CREATE TABLE IF NOT EXISTS ${TABLE} ?\\( ?token text PRIMARY KEY, ?written_at timestamptz NOT NULL DEFAULT now\\(\\) ?\\)$`, 'i').test(flat)) {
      if (db.tables[TABLE]) stderr += `NOTICE:  relation "${TABLE}" already exists, skipping\n`;
      else {
        db.tables[TABLE] = [];
        changed = true;
      }
      tag('CREATE TABLE');
    } else if ((m = new RegExp(`^INSERT INTO ${TABLE} ?\\(token\\) VALUES ?\\('((?:[^']|'')*)'\\)$`, 'i').exec(flat))) {
      const token = unquote(m[1]);
      if (!db.tables[TABLE]) error = pgError(`relation "${TABLE}" does not exist`, stmt, 'INSERT INTO '.length);
      else if (db.tables[TABLE].some((r) => r.token === token)) error = pgError(`duplicate key value violates unique constraint "${TABLE}_pkey"`, stmt, undefined, `Key (token)=(${token}) already exists.`);
      else {
        db.tables[TABLE].push({ token, written_at: new Date().toISOString() });
        changed = true;
        tag('INSERT 0 1');
      }
    } else if ((m = new RegExp(`^SELECT token FROM ${TABLE} WHERE token ?= ?'((?:[^']|'')*)'$`, 'i').exec(flat))) {
      const token = unquote(m[1]);
      if (!db.tables[TABLE]) error = pgError(`relation "${TABLE}" does not exist`, stmt, 'SELECT token FROM '.length);
      else {
        const rows = db.tables[TABLE].filter((r) => r.token === token);
        if (!tuplesOnly) stdout += 'token\n';
        for (const r of rows) stdout += `${r.token}\n`;
        if (!tuplesOnly) stdout += `(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
      }
    } else {
      const first = flat.split(/[\s(]/)[0];
      error = pgError(`syntax error at or near "${first}"`, stmt, 0);
    }
    if (error) {
      stderr += error;
      if (stopOnError) return { stdout, stderr, code: 3, changed };
    }
  }
  return { stdout, stderr, code: 0, changed };
}
