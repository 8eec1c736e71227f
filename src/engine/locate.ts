export interface SearchSpec {
  start: number; // 0-based line where the hunk is expected
  min: number; // lowest 0-based line a match may begin at
  prefixFuzz: number;
  suffixFuzz: number;
  matchBeginning: boolean;
  matchEnd: boolean;
  same?: (imageLine: string, patternLine: string) => boolean;
}

function matchesAt(image: string[], pattern: string[], pos: number, spec: SearchSpec): boolean {
  const from = spec.prefixFuzz;
  const to = pattern.length - spec.suffixFuzz;
  if (spec.matchBeginning && pos !== 0) return false;
  if (spec.matchEnd && pos + pattern.length !== image.length) return false;
  if (pos + from < 0 || pos + to > image.length) return false;
  const same = spec.same;
  if (same) {
    for (let i = from; i < to; i++) if (!same(image[pos + i], pattern[i])) return false;
    return true;
  }
  for (let i = from; i < to; i++) if (image[pos + i] !== pattern[i]) return false;
  return true;
}

/** Nearest match to spec.start, later before earlier at equal distance, as `git apply` and GNU patch do. */
export function locate(image: string[], pattern: string[], spec: SearchSpec): number | undefined {
  const start = Math.max(spec.min, Math.min(spec.start, image.length));
  const maxPos = image.length - pattern.length + spec.suffixFuzz;
  if (matchesAt(image, pattern, start, spec)) return start;
  for (let d = 1; ; d++) {
    const after = start + d;
    const before = start - d;
    const canAfter = after <= maxPos;
    const canBefore = before >= spec.min;
    if (!canAfter && !canBefore) return undefined;
    if (canAfter && matchesAt(image, pattern, after, spec)) return after;
    if (canBefore && matchesAt(image, pattern, before, spec)) return before;
  }
}
