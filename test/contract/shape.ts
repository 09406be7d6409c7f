/**
 * The keys of a JSON document, all the way down, with the type of each leaf: two outputs with the
 * same shape have the same keys (none missing, none extra) wherever they hold the same things.
 * Array elements are compared one by one.
 */
export function jsonShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonShape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, jsonShape((value as Record<string, unknown>)[key])]));
  }
  return value === null ? 'null' : typeof value;
}
