import type { ProgressSink } from '../util/progress';
import { silentProgress } from '../util/progress';

/** A byte count or rate for people: whole bytes below 1 KiB ("976 B"), else one decimal ("1.2 MiB"). */
export function formatBytes(n: number): string {
  if (Math.round(n) < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** A one-line progress display on stderr: bytes, percent and rate. Only for terminals. */
export function terminalProgress(stream: NodeJS.WriteStream, enabled: boolean): ProgressSink {
  if (!enabled || !stream.isTTY) return silentProgress;
  let label = '';
  let total: number | undefined;
  let started = 0;
  let lastDraw = 0;
  return {
    start(l, t) {
      label = l;
      total = t;
      started = Date.now();
      lastDraw = 0;
    },
    advance(done) {
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      const seconds = Math.max((now - started) / 1000, 0.001);
      const percent = total ? ` ${Math.floor((done / total) * 100)}%` : '';
      stream.write(
        `\r\u001b[K${label} ${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''}${percent} ${formatBytes(done / seconds)}/s`,
      );
    },
    finish() {
      stream.write('\r\u001b[K');
    },
  };
}
