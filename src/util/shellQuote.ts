/** One argument as a POSIX shell word: bare when it is safe, else in single quotes. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line a person can paste into a shell. */
export function shellCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
