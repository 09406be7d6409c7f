// Setting values in todo-deploy.yaml without disturbing the rest of it. yaml's Document API
// keeps comments but re-renders every line (aligned trailing comments collapse to one space),
// so edits go into the text at the source ranges the parser reports: a value already in the
// file is replaced where it stands, a missing key is added at the end of its block mapping.
// Only what that cannot express (flow mappings, a section holding null) goes through
// `doc.setIn`, and every result is parsed back to prove it holds the values.
import { isMap, isScalar, parse, parseDocument, stringify, type Document, type YAMLMap } from 'yaml';

export type ConfigValue = string | number;

/** `text` with each dotted path set to its value; everything else is kept byte for byte. */
export function setConfigValues(text: string, values: ReadonlyArray<readonly [path: string, value: ConfigValue]>): string {
  const doc = parseYaml(text);
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const missing: Array<readonly [string, ConfigValue]> = [];
  for (const [path, value] of values) {
    const node = doc.getIn(path.split('.'), true);
    if (isScalar(node) && node.range && node.value !== null) {
      if (node.value !== value) edits.push({ start: node.range[0], end: node.range[1], text: scalarText(value) });
    } else {
      missing.push([path, value]);
    }
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = replaceKeepingCommentColumn(out, edit);
  if (missing.length === 0 && holds(out, values)) return out;
  const inserted = missing.length > 0 ? insertMissing(out, missing) : undefined;
  if (inserted !== undefined && holds(inserted, values)) return inserted;
  return setWithDocument(text, values);
}

function setWithDocument(text: string, values: ReadonlyArray<readonly [path: string, value: ConfigValue]>): string {
  const rest = parseYaml(text);
  if (!isMap(rest.contents)) rest.contents = rest.createNode({}) as typeof rest.contents;
  for (const [path, value] of values) {
    const keys = path.split('.');
    // `cluster:` with every key commented out holds null, which setIn cannot descend into.
    for (let depth = 1; depth < keys.length; depth++) {
      const section = rest.getIn(keys.slice(0, depth), true);
      if (section !== undefined && !isMap(section)) rest.setIn(keys.slice(0, depth), rest.createNode({}));
    }
    rest.setIn(keys, value);
  }
  const out = rest.toString({ lineWidth: 0 });
  if (!holds(out, values)) throw new Error('todo-deploy.yaml would not hold the values set');
  return out;
}

/** Adds missing keys as text at the end of their block mapping; undefined when one has no such place. */
function insertMissing(text: string, missing: ReadonlyArray<readonly [string, ConfigValue]>): string | undefined {
  const doc = parseYaml(text);
  const groups = new Map<YAMLMap, { depth: number; tree: Record<string, unknown> }>();
  for (const [path, value] of missing) {
    const keys = path.split('.');
    let map: unknown = doc.contents;
    let depth = 0;
    for (;;) {
      if (!isMap(map) || map.flow || !map.range || map.items.length === 0) return undefined;
      const next: unknown = depth < keys.length - 1 ? map.get(keys[depth], true) : undefined;
      if (next === undefined) break;
      map = next;
      depth++;
    }
    const group = groups.get(map) ?? { depth, tree: {} };
    groups.set(map, group);
    let node = group.tree;
    for (const key of keys.slice(depth, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = value;
  }
  const inserts = [...groups].map(([map, { depth, tree }]) => {
    const firstKey = (map.items[0]!.key as { range?: [number, number, number] }).range![0];
    const indent = ' '.repeat(firstKey - (text.lastIndexOf('\n', firstKey - 1) + 1));
    // A block mapping's content ends at the start of the line after its last value.
    let at = map.range![1];
    if (at > 0 && text[at - 1] !== '\n') at = text.includes('\n', at) ? text.indexOf('\n', at) + 1 : text.length;
    const lines = stringify(tree, { lineWidth: 0 }).trimEnd().split('\n');
    return { at, depth, body: `${lines.map((line) => indent + line).join('\n')}\n` };
  });
  // At one place, a deeper mapping's keys go first: they belong above its parent's.
  let out = text;
  for (const { at, body } of inserts.sort((a, b) => b.at - a.at || a.depth - b.depth)) {
    out = out.slice(0, at) + (at > 0 && out[at - 1] !== '\n' ? '\n' : '') + body + out.slice(at);
  }
  return out;
}

function holds(text: string, values: ReadonlyArray<readonly [string, ConfigValue]>): boolean {
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.errors.length === 0 && values.every(([path, value]) => doc.getIn(path.split('.')) === value);
}

function parseYaml(text: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
  return doc;
}

/** A scalar that reads back as exactly this value, in block and flow context alike. */
function scalarText(value: ConfigValue): string {
  if (typeof value === 'number') return String(value);
  return /^[\w./-]+$/.test(value) && parse(value) === value ? value : JSON.stringify(value);
}

/** Splices the new text in; a trailing `# comment` keeps its column while there is room. */
function replaceKeepingCommentColumn(text: string, edit: { start: number; end: number; text: string }): string {
  let after = text.slice(edit.end);
  const gap = /^( +)#/.exec(after);
  if (gap) {
    const spaces = Math.max(1, gap[1]!.length - (edit.text.length - (edit.end - edit.start)));
    after = ' '.repeat(spaces) + after.slice(gap[1]!.length);
  }
  return text.slice(0, edit.start) + edit.text + after;
}
