/** Reads a file of some tree (a release, a checkout) as a binary string; undefined when absent. */
export type FileReader = (path: string) => Promise<string | undefined>;

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

  constructor(private readonly base: FileReader) {}

  async read(path: string): Promise<string | undefined> {
    const change = this.changed.get(path);
    if (change) return change.content ?? undefined;
    return this.base(path);
  }

  write(path: string, content: string, mode?: string): void {
    this.changed.set(path, { content, mode });
  }

  remove(path: string): void {
    this.changed.set(path, { content: null });
  }

  /** Every path written or removed, sorted, with its final state. */
  changes(): [string, TreeChange][] {
    return [...this.changed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
