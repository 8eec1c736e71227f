/** Reads a file of some tree (a release, a checkout) as a binary string; undefined when absent. */
export type FileReader = (path: string) => Promise<string | undefined>;

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
  content: string | null; // null: deleted
  mode?: string;
  /** Without a mode: the base path whose mode the file keeps (a move's source: git keeps it executable); read before writing. */
  modeLike?: string;
}

export interface ModeOrigin {
  mode?: string;
  like?: string;
}

/** An in-memory overlay over a read-only tree, so checks and dry runs never touch the disk or need a checkout. */
export class MemoryTree {
  private readonly changed = new Map<string, TreeChange>();

  constructor(
    private readonly base: FileReader,
    private readonly baseOrigin: (path: string) => ModeOrigin = (path) => ({ like: path }),
  ) {}

  async read(path: string): Promise<string | undefined> {
    const change = this.changed.get(path);
    if (change) return change.content ?? undefined;
    return this.base(path);
  }

  hasChange(path: string): boolean {
    return this.changed.has(path);
  }

  readOriginal(path: string): Promise<string | undefined> {
    return this.base(path);
  }

  write(path: string, content: string, mode?: string | ModeOrigin): void {
    const origin = typeof mode === 'string' ? { mode } : mode?.mode !== undefined || mode?.like !== undefined ? mode : this.originOf(path);
    this.changed.set(path, origin.mode !== undefined ? { content, mode: origin.mode } : { content, modeLike: origin.like });
  }

  modeOf(path: string): string | undefined {
    return this.originOf(path).mode;
  }

  originOf(path: string): ModeOrigin {
    const change = this.changed.get(path);
    if (change) return change.content === null ? {} : { mode: change.mode, like: change.modeLike };
    return this.baseOrigin(path);
  }

  remove(path: string): void {
    this.changed.set(path, { content: null });
  }

  changes(): [string, TreeChange][] {
    return [...this.changed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** Permission bits: the git mode, else its `modeLike` path's (read before anything is written), else 0644. */
export function permissionsOf(changes: [string, TreeChange][], permissionOf: (path: string) => number | undefined): Map<string, number> {
  const permissions = new Map<string, number>();
  for (const [file, change] of changes) {
    if (change.content === null) continue;
    permissions.set(file, change.mode ? parseInt(change.mode.slice(-3), 8) : (permissionOf(change.modeLike ?? file) ?? 0o644));
  }
  return permissions;
}
