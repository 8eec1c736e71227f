import { MeshforkError } from '../errors';
import { stripEol } from './lines';

/** A position in the lines of one patch file, and how its file names are read. */
export class Cursor {
  index = 0;
  constructor(
    readonly lines: string[],
    /** Patch file name, for messages. */
    readonly name: string,
    /** Leading path components to remove from file names (-pN). */
    readonly strip: number,
    /** True when the strip level was given (a -pN in series), not the default. */
    readonly stripExplicit = false,
  ) {}
  get done(): boolean {
    return this.index >= this.lines.length;
  }
  /** The current line without its ending. */
  get text(): string {
    return stripEol(this.lines[this.index] ?? '');
  }
  get raw(): string {
    return this.lines[this.index] ?? '';
  }
  /** 1-based line number of the current line. */
  get lineNo(): number {
    return this.index + 1;
  }
  /** A line further on, without its ending ('' past the end). */
  peek(ahead: number): string {
    return stripEol(this.lines[this.index + ahead] ?? '');
  }
}

export function invalid(
  name: string,
  line: number,
  message: string,
  hint = 'regenerate the patch with `meshfork export`, or fix it by hand',
): MeshforkError {
  return new MeshforkError('PATCH_INVALID', `${name}:${line}: ${message}`, { hint });
}
