/** The closest candidate to a mistyped name, if one is close enough to be what was meant. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = levenshtein(wanted, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  const tolerance = Math.max(1, Math.floor(input.length / 3));
  if (best && best.distance <= tolerance) return best.candidate;
  // A shortened or pluralised name (`replicas` for `replicaCount`): all but its last letter begin one candidate.
  const stem = wanted.slice(0, -1);
  const extended = stem.length >= 5 ? candidates.filter((c) => c.toLowerCase().startsWith(stem)) : [];
  return extended.length === 1 ? extended[0] : undefined;
}

function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
