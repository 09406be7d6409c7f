// A small cobra/pflag-like argv parser. Every command declares the flags it accepts; anything
// else is an unexpected call. Flags may come before or after positionals, as `--f v`, `--f=v`,
// `-f v`, `-fv` (short flags with a value) or, for bools, `--f`, `--f=true|false`.
//
// Flag spec: { 'n|namespace': 'value', 'wait': 'optional', 'all|A': 'bool', 'f|values': 'list' }
//   value    one value; the last one wins
//   list     repeatable; every value kept, in order
//   bool     no value, or =true/=false
//   optional a bare flag takes the default given in `optionalDefaults`; a value needs `=`

export class ArgError extends Error {
  constructor(message, kind = 'unknown-flag', flag = '') {
    super(message);
    this.kind = kind;
    this.flag = flag;
  }
}

function indexSpec(spec) {
  const byName = new Map();
  for (const [names, type] of Object.entries(spec)) {
    const all = names.split('|');
    const canonical = all.find((n) => n.length > 1) ?? all[0];
    for (const name of all) byName.set(name, { canonical, type });
  }
  return byName;
}

/**
 * @returns {{ positionals: string[], flags: Record<string, string | string[] | boolean>, seen: string[] }}
 */
export function parseArgs(argv, spec, optionalDefaults = {}) {
  const byName = indexSpec(spec);
  const positionals = [];
  const flags = {};
  const seen = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (token === '-' || !token.startsWith('-')) {
      positionals.push(token);
      continue;
    }
    let name;
    let inline;
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      name = eq === -1 ? token.slice(2) : token.slice(2, eq);
      inline = eq === -1 ? undefined : token.slice(eq + 1);
    } else {
      name = token[1];
      const rest = token.slice(2);
      inline = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
    }
    const entry = byName.get(name);
    if (!entry) throw new ArgError(`unknown flag: ${token.startsWith('--') ? `--${name}` : `-${name}`}`, 'unknown-flag', name);
    const { canonical, type } = entry;
    seen.push(canonical);
    if (type === 'bool') {
      if (inline === undefined) flags[canonical] = true;
      else if (/^(true|1|t|T|TRUE|True)$/.test(inline)) flags[canonical] = true;
      else if (/^(false|0|f|F|FALSE|False)$/.test(inline)) flags[canonical] = false;
      else throw new ArgError(`invalid argument "${inline}" for "--${canonical}" flag: strconv.ParseBool: parsing "${inline}": invalid syntax`, 'bad-value', canonical);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (type === 'optional') {
        value = optionalDefaults[canonical] ?? 'true';
      } else {
        if (i + 1 >= argv.length) throw new ArgError(`flag needs an argument: --${canonical}`, 'missing-value', canonical);
        value = argv[++i];
      }
    }
    if (type === 'list') flags[canonical] = [...(flags[canonical] ?? []), value];
    else flags[canonical] = value;
  }
  return { positionals, flags, seen };
}

/**
 * Finds the command path (e.g. ['rollout', 'status']) among argv, skipping global flags, so the
 * command's own flag spec can be chosen before the full parse. `commands` lists known paths.
 */
export function findCommand(argv, globalSpec, commands) {
  const byName = indexSpec(globalSpec);
  const words = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    if (token.startsWith('-') && token !== '-') {
      const long = token.startsWith('--');
      const entry = byName.get(long ? token.slice(2).split('=')[0] : token[1]);
      const hasInline = long ? token.includes('=') : token.length > 2;
      if (entry && (entry.type === 'value' || entry.type === 'list') && !hasInline) i++;
      continue;
    }
    words.push(token);
  }
  for (let n = words.length; n > 0; n--) {
    const path = words.slice(0, n).join(' ');
    if (commands.includes(path)) return path;
  }
  return '';
}

/** Removes the command words (the first occurrences, in order) from argv. */
export function withoutCommand(argv, command) {
  const rest = [...argv];
  let from = 0;
  for (const word of command.split(' ').filter(Boolean)) {
    const at = rest.indexOf(word, from);
    rest.splice(at, 1);
    from = at;
  }
  return rest;
}

/** Go durations as helm/kubectl take them: 300s, 5m, 1m30s, 1h, 250ms, or a bare number of seconds. */
export function parseDuration(text) {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  let total = 0;
  let rest = text;
  if (rest === '' || rest === '0') return 0;
  while (rest !== '') {
    const match = /^(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  return total;
}
