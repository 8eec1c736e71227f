/*
 * Finds the places where the tool's tests read the live series: the repository's own patches/, files/,
 * image/, meshfork.config.json or meshfork.lock.json, or the payload's tests. The tool's tests use
 * fixtures only (test/fixtures/jwt-series-1.1.55), so that `sync rebase --commit` moving the live
 * series never moves a tool test. Static, on purpose: it reads every tool test file and every test
 * helper they import (transitively), without running anything, so the check costs milliseconds.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where the tool's tests live, relative to the repository root. */
export const TOOL_TEST_FOLDERS = ['test/unit', 'test/integration', 'test/reliability', 'test/e2e', 'bench'] as const;
/** The live project's entries at the repository root: the payload and its pins. */
export const LIVE_ENTRIES = ['patches', 'files', 'image', 'meshfork.config.json', 'meshfork.lock.json'] as const;
/** The payload's own tests and helpers; a tool test must not import them. */
export const PAYLOAD_TESTS = 'test/payload';
/** The scanner's own test: its planted reads are strings it feeds the scanner, not reads. */
const SCANNER_TEST = 'test/integration/toolTestsUseFixtures.test.ts';

/** One live read: the file (relative to the root, `/`-separated), its 1-based line and what it reads. */
export interface LiveRead {
  file: string;
  line: number;
  reads: string;
}

const SOURCE = /\.(ts|js)$/;
const IMPORT = /(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*)'(\.{1,2}\/[^']*)'/g;
const STRING = /'((?:[^'\\]|\\.)*)'/g;
/** A call to path.join / path.resolve, capturing its argument list (no nested parentheses needed here). */
const PATH_CALL = /\bpath\.(?:join|resolve)\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g;
/** Running meshfork: the project it reads is the working directory or `-C DIR`. */
const RUNS_MESHFORK =
  /MESHFORK_BIN|\bBIN\b|'bin', 'meshfork'|\b(?:runCli|cli|runMeshfork|meshfork|verify|apply|syncCheck|syncRebase|syncContinue|syncAbort|edit|exportCommand|build|importFork|importMbox|importQuilt|upstreamList|upstreamFetch)\(/;
const LIVE_RELATIVE = new RegExp(
  `\\b(?:readFileSync|readdirSync|existsSync|statSync|cpSync|copyFileSync|readFile|readdir|stat|loadSeries|loadConfig|readTree)\\(\\s*'((?:${LIVE_ENTRIES.map((e) => e.replace(/\./g, '\\.')).join('|')})(?:/[^']*)?)'`,
);

/** Every live read reachable from the tool's tests under `root` (the repository, or a copy of its test/ and bench/). */
export function findLiveReads(root: string, folders: readonly string[] = TOOL_TEST_FOLDERS): LiveRead[] {
  const reads: LiveRead[] = [];
  const seen = new Set<string>();
  const queue = folders.flatMap((folder) => sourceFiles(path.join(root, folder)));
  while (queue.length) {
    const file = queue.shift() as string;
    if (seen.has(file) || shown(root, file) === SCANNER_TEST) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    reads.push(...readsIn(root, file, text));
    for (const { target, line } of localImports(file, text)) {
      if (!isInside(target, path.join(root, 'test')) && !isInside(target, path.join(root, 'bench'))) continue;
      if (isInside(target, path.join(root, PAYLOAD_TESTS)))
        reads.push({ file: shown(root, file), line, reads: `the payload's tests (${shown(root, target)})` });
      else queue.push(target);
    }
  }
  return reads.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'fixtures' || entry.name === 'node_modules' ? [] : sourceFiles(full);
      return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
    });
}

function localImports(file: string, text: string): { target: string; line: number }[] {
  const out: { target: string; line: number }[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const base = path.resolve(path.dirname(file), match[1]);
    const target = [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts'), path.join(base, 'index.js')].find(
      (f) => existsSync(f) && statSync(f).isFile(),
    );
    if (target) out.push({ target, line: lineAt(text, match.index ?? 0) });
  }
  return out;
}

/** The live reads in one file's text. */
function readsIn(root: string, file: string, text: string): LiveRead[] {
  const roots = rootNames(root, file, text);
  const out: LiveRead[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const found = new Set<string>();
    const literals = [...line.matchAll(STRING)].map((m) => m[1]);
    for (const call of line.matchAll(PATH_CALL)) {
      const args = call[1].split(',').map((a) => a.trim());
      const start = startOf(root, file, args[0], roots);
      if (start === undefined) continue;
      const rest = args.slice(1);
      if (rest.every((a) => /^'[^']*'$/.test(a))) {
        const entry = liveEntryOf(root, path.join(start, ...rest.map((a) => a.slice(1, -1))));
        if (entry) found.add(entry);
      } else if (start === root) {
        // path.join(ROOT, entry) with `entry` from a list on the same line: the list names what is read
        for (const literal of literals) if ((LIVE_ENTRIES as readonly string[]).includes(literal)) found.add(literal);
      }
    }
    const relative = LIVE_RELATIVE.exec(line);
    if (relative) found.add(relative[1].split('/')[0]);
    // a call spread over lines names meshfork a line or three above its options
    if (RUNS_MESHFORK.test(lines.slice(Math.max(0, i - 3), i + 1).join('\n'))) {
      for (const name of roots) {
        if (new RegExp(`(?:\\bcwd:\\s*(?:[\\w.]+\\s*\\?\\?\\s*)?|'-C',\\s*)${name}\\b(?!\\s*\\.)`).test(line))
          found.add('the live project (meshfork runs in the repository root)');
      }
    }
    for (const reads of found)
      out.push({ file: shown(root, file), line: i + 1, reads: reads.includes(' ') ? reads : `${reads} at the repository root` });
  });
  return out;
}

/** Names that hold the repository root in this file: REPO_ROOT and aliases, and `path.resolve(__dirname, '..', ...)` constants. */
function rootNames(root: string, file: string, text: string): string[] {
  const names = new Set<string>(['REPO_ROOT']);
  for (const m of text.matchAll(/\bREPO_ROOT as (\w+)/g)) names.add(m[1]);
  for (const m of text.matchAll(
    /\b(?:const|let)\s+(\w+)\s*=\s*(?:findRepoRoot\([^)]*\)|process\.cwd\(\)|path\.(?:resolve|join)\(([^()]*)\))\s*;/g,
  )) {
    if (m[2] === undefined || startOf(root, file, m[2].split(',')[0].trim(), names) === undefined) {
      if (m[2] === undefined) names.add(m[1]);
      continue;
    }
    const args = m[2].split(',').map((a) => a.trim());
    if (!args.slice(1).every((a) => /^'[^']*'$/.test(a))) continue;
    const at = path.join(startOf(root, file, args[0], names) as string, ...args.slice(1).map((a) => a.slice(1, -1)));
    if (at === root) names.add(m[1]);
  }
  return [...names];
}

/** The folder an expression stands for: the root (for a root name or process.cwd()), or the file's folder for __dirname. */
function startOf(root: string, file: string, expression: string, roots: Iterable<string>): string | undefined {
  if (expression === '__dirname') return path.dirname(file);
  if (expression === 'process.cwd()') return root;
  for (const name of roots) if (expression === name) return root;
  return undefined;
}

function liveEntryOf(root: string, target: string): string | undefined {
  const relative = path.relative(root, target).split(path.sep);
  return (LIVE_ENTRIES as readonly string[]).includes(relative[0]) ? relative[0] : undefined;
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function shown(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}
