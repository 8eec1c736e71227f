/** Receives progress of long work (downloads, clones). Core code reports; only the CLI renders. */
export interface ProgressSink {
  start(label: string, total?: number): void;
  advance(done: number): void;
  finish(): void;
}

export const silentProgress: ProgressSink = {
  start() {},
  advance() {},
  finish() {},
};
