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
  /**
   * Without a mode: the path of the base tree whose mode the file keeps (its own path, or the source
   * of a rename or copy: `git apply` keeps a moved executable executable). Writers read it before
   * writing anything, since the source itself may be a change.
   */
  modeLike?: string;
}

/** Where a file's mode comes from: a git mode, or the mode a path of the base tree has. */
export interface ModeOrigin {
  mode?: string;
  like?: string;
}

/**
 * An in-memory overlay over a read-only tree: patches write here, so checks and dry runs
 * never touch the disk and never need a full checkout.
 */
export class MemoryTree {
  private readonly changed = new Map<string, TreeChange>();

  /** `baseOrigin` tells where the modes of the base come from, when it is itself a tree with changes (a staging overlay). */
  constructor(
    private readonly base: FileReader,
    private readonly baseOrigin: (path: string) => ModeOrigin = (path) => ({ like: path }),
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

  /** Without a mode (or origin), a file keeps its own: the mode an earlier write gave it, or the base's. */
  write(path: string, content: string, mode?: string | ModeOrigin): void {
    const origin = typeof mode === 'string' ? { mode } : mode?.mode !== undefined || mode?.like !== undefined ? mode : this.originOf(path);
    this.changed.set(path, origin.mode !== undefined ? { content, mode: origin.mode } : { content, modeLike: origin.like });
  }

  /** The mode an earlier write set, when one did (a FileReader base does not tell modes). */
  modeOf(path: string): string | undefined {
    return this.originOf(path).mode;
  }

  /** Where the mode of `path` comes from (nothing for a deleted path). */
  originOf(path: string): ModeOrigin {
    const change = this.changed.get(path);
    if (change) return change.content === null ? {} : { mode: change.mode, like: change.modeLike };
    return this.baseOrigin(path);
  }

  remove(path: string): void {
    this.changed.set(path, { content: null });
  }

  /** Every path written or removed, sorted, with its final state. */
  changes(): [string, TreeChange][] {
    return [...this.changed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/**
 * The permission bits each written file gets: its git mode, else those its `modeLike` path (or, with
 * none, the file itself) has in the tree being written (`permissionOf`, read before anything is
 * written), else 0644.
 */
export function permissionsOf(changes: [string, TreeChange][], permissionOf: (path: string) => number | undefined): Map<string, number> {
  const permissions = new Map<string, number>();
  for (const [file, change] of changes) {
    if (change.content === null) continue;
    // a change made by hand (no mode, no origin) keeps the file's own mode
    permissions.set(file, change.mode ? parseInt(change.mode.slice(-3), 8) : (permissionOf(change.modeLike ?? file) ?? 0o644));
  }
  return permissions;
}
