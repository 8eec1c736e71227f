import { MeshforkError } from '../errors';
import type { Patch, PatchHeader, Trailer } from '../series/types';
import { formatPatch } from '../engine/formatPatch';
import { formatHeader, patchFileName } from '../series/writer';
import { BASE_TRAILER, formatAuthor, isBaseTrailer, parseAuthor } from './commitMessage';
import type { PatchCommit } from './commits';
import { isForeign, sameChanges, sameMessage } from './keptPatch';
import { renderSeries } from '../project/seriesText';

export interface ExportedPatch {
  name: string;
  text: string;
  commit: PatchCommit;
  previous?: Patch;
  /** 'verbatim': a foreign patch kept byte for byte; 'header': its header kept above a new diff. */
  kept?: 'verbatim' | 'header';
}

/** A foreign patch whose commit is unchanged is kept byte for byte; under an unchanged message, its header is. */
function keptText(commit: PatchCommit, header: PatchHeader, before: Patch | undefined): { text: string; kept?: ExportedPatch['kept'] } {
  if (before?.source && isForeign(before) && sameMessage(commit, before)) {
    if (sameChanges(commit, before)) return { text: before.source.text, kept: 'verbatim' };
    const written = formatPatch(header, commit.changes, before);
    if (before.source.format !== 'mail')
      return {
        text:
          (before.source.headerText === '' || before.source.headerText.endsWith('\n')
            ? before.source.headerText
            : `${before.source.headerText}\n`) + written.slice(formatHeader(header).length),
        kept: 'header',
      };
    return { text: written };
  }
  return { text: formatPatch(header, commit.changes, before) };
}

export interface ExportPlan {
  patches: ExportedPatch[];
  seriesText: string;
}

export interface CurrentSeries {
  patches: Patch[];
  seriesText?: string;
}

/** Pair commits with the patches they came from: same subject first, then same position among the rest. */
function matchPrevious(commits: PatchCommit[], old: Patch[]): (Patch | undefined)[] {
  const used = new Set<number>();
  const matched: (Patch | undefined)[] = commits.map((c) => {
    const k = old.findIndex((p, i) => !used.has(i) && p.header.subject === c.message.subject);
    if (k === -1) return undefined;
    used.add(k);
    return old[k];
  });
  commits.forEach((_, i) => {
    if (matched[i] === undefined && i < old.length && !used.has(i)) {
      used.add(i);
      matched[i] = old[i];
    }
  });
  return matched;
}

/** Keep Meshfork-Base where the patch had it (so only its value can change), else last. */
export function withBaseTrailer(trailers: Trailer[], version: string, previous?: Patch): Trailer[] {
  const base = { key: previous?.header.trailers.find(isBaseTrailer)?.key ?? BASE_TRAILER, value: version };
  const at = previous ? previous.header.trailers.findIndex(isBaseTrailer) : -1;
  const result = trailers.filter((t) => !isBaseTrailer(t));
  if (at === -1 || at > result.length) result.push(base);
  else result.splice(at, 0, base);
  return result;
}

function headerFor(commit: PatchCommit, version: string, previous?: Patch): PatchHeader {
  const sameSubject = previous?.header.subject === commit.message.subject;
  const previousAuthor = previous && parseAuthor(previous.header.from);
  const sameAuthor = previousAuthor?.name === commit.author.name && previousAuthor.email === commit.author.email;
  return {
    from: previous && sameAuthor ? previous.header.from : formatAuthor(commit.author),
    date: sameSubject ? previous?.header.date : commit.date,
    subject: commit.message.subject,
    description: commit.message.description,
    trailers: withBaseTrailer(commit.message.trailers, version, previous),
  };
}

export function planExport(commits: PatchCommit[], current: CurrentSeries, version: string): ExportPlan {
  const previous = matchPrevious(commits, current.patches);
  const seen = new Map<string, PatchCommit>();
  const patches = commits.map((commit, i): ExportedPatch => {
    if (commit.changes.length === 0) {
      throw new MeshforkError('STATE_INVALID', `commit ${commit.id.slice(0, 12)} "${commit.message.subject}" changes no file`, {
        hint: 'drop it (git rebase -i upstream) or add its changes, then export again',
      });
    }
    const before = previous[i];
    const name = before && before.header.subject === commit.message.subject ? before.name : patchFileName(commit.message.subject);
    const clash = seen.get(name);
    if (clash) {
      throw new MeshforkError(
        'STATE_INVALID',
        `commits ${clash.id.slice(0, 12)} and ${commit.id.slice(0, 12)} would both be written to ${name}`,
        {
          hint: 'give one of them a different subject (git rebase -i upstream, "reword"), then export again',
        },
      );
    }
    seen.set(name, commit);
    const { text, kept } = keptText(commit, headerFor(commit, version, before), before);
    return { name, text, commit, previous: before, ...(kept ? { kept } : {}) };
  });
  const seriesText = renderSeries(
    current.seriesText,
    // A rewritten diff is -p1 again: its series line loses a -pN it had.
    patches.map((p) => ({
      name: p.name,
      previous: p.previous?.name,
      keepOptions: p.kept === 'verbatim' || (p.previous?.options?.strip ?? 1) === 1,
    })),
  );
  return { patches, seriesText };
}
