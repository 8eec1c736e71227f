// import cannot make up why a change was made, so it says which patches verify's header check would refuse.
import type { Patch } from '../series/types';
import { trailerValue } from '../series/types';

export interface HeaderGap {
  name: string;
  missing: ('a description' | 'an Upstream-Status trailer')[];
}

export function headerGaps(patches: Patch[]): HeaderGap[] {
  return patches.flatMap((patch) => {
    const missing: HeaderGap['missing'] = [];
    if (patch.header.description.trim() === '') missing.push('a description');
    if (trailerValue(patch.header, 'Upstream-Status') === undefined) missing.push('an Upstream-Status trailer');
    return missing.length ? [{ name: patch.name, missing }] : [];
  });
}
