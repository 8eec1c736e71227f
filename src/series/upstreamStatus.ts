import type { PatchHeader } from './types';

const field = (header: PatchHeader, key: string) => header.trailers.find((t) => t.key.toLowerCase() === key)?.value;

/** From the Upstream-Status trailer or, for DEP-3, Applied-Upstream / Forwarded / Origin. */
export function upstreamStatus(header: PatchHeader): string | undefined {
  const explicit = field(header, 'upstream-status');
  if (explicit !== undefined) return explicit;
  const applied = field(header, 'applied-upstream');
  if (applied !== undefined) return `Accepted [${applied}]`;
  const forwarded = field(header, 'forwarded')?.trim();
  if (forwarded !== undefined) {
    if (/^not-needed$/i.test(forwarded)) return 'Inappropriate [not needed upstream]';
    if (/^no$/i.test(forwarded)) return 'Pending';
    return /^yes$/i.test(forwarded) ? 'Submitted' : `Submitted [${forwarded}]`;
  }
  const origin = field(header, 'origin')?.trim();
  if (origin !== undefined && /^(upstream|backport)\b/i.test(origin))
    return `Backport [${origin.replace(/^(upstream|backport),?\s*/i, '') || origin}]`;
  return undefined;
}
