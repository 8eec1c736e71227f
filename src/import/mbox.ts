// Each message is normalized to meshfork's header above its diff, bytes kept.
import { MeshforkError } from '../errors';
import { splitLines, stripEol } from '../series/lines';
import { parsePatch } from '../series/parse';
import type { Patch } from '../series/types';
import { formatHeader } from '../series/writer';
import { withBaseTrailer } from '../workspace/exportPlan';

const MESSAGE_START = /^From \S+ +(Mon|Tue|Wed|Thu|Fri|Sat|Sun) /;

export function splitMbox(file: string, text: string): string[] {
  const lines = splitLines(text);
  const starts = lines.map((l, i) => (MESSAGE_START.test(l) ? i : -1)).filter((i) => i >= 0);
  if (starts.length === 0) {
    // A single mail without the mbox line (a .patch saved from a mail client) is one message.
    if (/^(From|Subject|Date):/m.test(text)) return [text];
    throw new MeshforkError('PATCH_INVALID', `${file}:1: not an mbox: no "From <sha> <date>" line and no mail header`, {
      hint: "pass the output of `git format-patch --stdout` or a pull request's .patch file",
    });
  }
  return starts.map((start, k) => lines.slice(start, starts[k + 1] ?? lines.length).join(''));
}

function diffPart(message: string): string {
  const lines = splitLines(message);
  const first = lines.findIndex(
    (l) => l.startsWith('diff --git ') || (l.startsWith('--- ') && lines[lines.indexOf(l) + 1]?.startsWith('+++ ')),
  );
  const signature = lines.findIndex((l, i) => i > first && stripEol(l) === '-- ');
  return lines.slice(first, signature === -1 ? lines.length : signature).join('');
}

/** Meshfork-Base set to base (the release the import checks on), the diff as sent; parsed back before it is returned. */
export function normalizeMessage(name: string, message: string, base: string): { patch: Patch; text: string } {
  const parsed = parsePatch(name, message);
  const text = formatHeader({ ...parsed.header, trailers: withBaseTrailer(parsed.header.trailers, base, parsed) }) + diffPart(message);
  const patch = parsePatch(name, text);
  // Hunk header lines move with the header; everything else must read back the same.
  const same = (ops: Patch['operations']) => JSON.stringify(ops, (key, value: unknown) => (key === 'headerLine' ? undefined : value));
  if (same(patch.operations) !== same(parsed.operations)) {
    throw new Error(`import mbox: the normalized ${name} does not read back as the message did (a bug in meshfork)`);
  }
  return { patch, text };
}
