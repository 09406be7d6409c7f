// The small part of Go's text/template that callers pass to `--format`/`--template`:
// {{.}}, {{.A.B}}, {{json .}}, {{json .A.B}}, {{index .A.B "key"}}. Anything else is reported
// as unsupported, so the simulator fails loudly instead of printing something made up.

export class TemplateUnsupported extends Error {}

function lookup(data, path) {
  if (path === '.') return data;
  let value = data;
  for (const part of path.slice(1).split('.')) {
    if (value === null || value === undefined) return undefined;
    value = value[part];
  }
  return value;
}

function show(value) {
  if (value === null || value === undefined) return '<no value>';
  if (typeof value === 'object') return Array.isArray(value) ? `[${value.map(show).join(' ')}]` : `map[${Object.entries(value).map(([k, v]) => `${k}:${show(v)}`).join(' ')}]`;
  return String(value);
}

/** Go's encoding/json escapes <, > and & in strings. */
export function goJson(value) {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

export function renderTemplate(template, data) {
  return template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_, action) => {
    let match;
    if ((match = /^(\.[\w.]*)$/.exec(action))) return show(lookup(data, match[1]));
    if ((match = /^json (\.[\w.]*)$/.exec(action))) return goJson(lookup(data, match[1]) ?? null);
    if ((match = /^index (\.[\w.]*) "([^"]*)"$/.exec(action))) {
      const map = lookup(data, match[1]);
      return show(map?.[match[2]]);
    }
    throw new TemplateUnsupported(`template action {{${action}}} is not simulated`);
  });
}
