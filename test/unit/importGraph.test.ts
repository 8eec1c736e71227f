/*
 * The shape of src/ as the reader is promised it (STYLE.md): no module reaches itself through its
 * imports (type-only and lazy imports included), and no core folder imports the CLI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', 'src');
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** src-relative module -> the src-relative modules it imports. */
function importGraph(): Map<string, string[]> {
  const files = new Set(sourceFiles(SRC).map((f) => path.relative(SRC, f)));
  const resolve = (from: string, spec: string): string => {
    const base = path.normalize(path.join(path.dirname(from), spec));
    const found = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => files.has(candidate));
    if (!found) throw new Error(`${from}: cannot resolve import '${spec}'`);
    return found;
  };
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(SRC, file), 'utf8');
    graph.set(
      file,
      [...text.matchAll(IMPORT)].map((m) => resolve(file, m[1])),
    );
  }
  return graph;
}

/** Every cycle, each as the path that closes it (found by depth-first search). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('has no cycles', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('keeps the CLI out of core code', () => {
    const intoCli = [...graph]
      .filter(([file]) => !file.startsWith('cli/'))
      .flatMap(([file, deps]) => deps.filter((d) => d.startsWith('cli/')).map((d) => `${file} -> ${d}`));
    expect(intoCli).toEqual([]);
  });

  it('keeps the series model below the engine that applies it', () => {
    const intoEngine = [...graph]
      .filter(([file]) => file.startsWith('series/'))
      .flatMap(([file, deps]) => deps.filter((d) => d.startsWith('engine/')).map((d) => `${file} -> ${d}`));
    expect(intoEngine).toEqual([]);
  });
});
