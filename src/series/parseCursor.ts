import { MeshforkError } from '../errors';
import { stripEol } from './lines';

/** A position in the lines of one patch file, and how its file names are read. */
export class Cursor {
  index = 0;
  constructor(
    readonly lines: string[],
    readonly name: string,
    readonly strip: number,
    /** True when the strip level was given (a -pN in series), not the default. */
    readonly stripExplicit = false,
  ) {}
  get done(): boolean {
    return this.index >= this.lines.length;
  }
  get text(): string {
    return stripEol(this.lines[this.index] ?? '');
  }
  get raw(): string {
    return this.lines[this.index] ?? '';
  }
  get lineNo(): number {
    return this.index + 1;
  }
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
