/** Reads a file of some tree (a release, a checkout) as a binary string; undefined when absent. */
export type FileReader = (path: string) => Promise<string | undefined>;

/** Reads the series' files of one release concurrently, up front; other paths fall through. */
export function prefetchingReader(reader: FileReader, paths: string[]): FileReader {
  const pending = new Map<string, Promise<string | undefined>>();
  for (const p of paths) {
    const read = reader(p);
    // A read nobody awaits must not crash the process; whoever awaits it still gets the error.
    read.catch(() => undefined);
    pending.set(p, read);
  }
  return (p) => pending.get(p) ?? reader(p);
}

export interface TreeChange {
  /** New content as a binary string, or null when the file is deleted. */
  content: string | null;
  /** New git mode (e.g. "100755") when the patch sets one. */
  mode?: string;
}

/**
 * An in-memory overlay over a read-only tree: patches write here, so checks and dry runs
 * never touch the disk and never need a full checkout.
 */
export class MemoryTree {
  private readonly changed = new Map<string, TreeChange>();

  /** `baseMode` tells the modes of the base, when it is itself a tree with changes (a staging overlay). */
  constructor(
    private readonly base: FileReader,
    private readonly baseMode: (path: string) => string | undefined = () => undefined,
  ) {}

  async read(path: string): Promise<string | undefined> {
    const change = this.changed.get(path);
    if (change) return change.content ?? undefined;
    return this.base(path);
  }

  /** True when a write or removal here changed `path`. */
  hasChange(path: string): boolean {
    return this.changed.has(path);
  }

  /** The file as the underlying tree has it, before any write here. */
  readOriginal(path: string): Promise<string | undefined> {
    return this.base(path);
  }

  /** Without a mode, a file keeps the mode an earlier write gave it (a chmod by an earlier patch). */
  write(path: string, content: string, mode?: string): void {
    this.changed.set(path, { content, mode: mode ?? this.modeOf(path) });
  }

  /** The mode an earlier write set, when one did (a FileReader base does not tell modes). */
  modeOf(path: string): string | undefined {
    const change = this.changed.get(path);
    if (change) return change.content !== null ? change.mode : undefined;
    return this.baseMode(path);
  }

  remove(path: string): void {
    this.changed.set(path, { content: null });
  }

  /** Every path written or removed, sorted, with its final state. */
  changes(): [string, TreeChange][] {
    return [...this.changed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
