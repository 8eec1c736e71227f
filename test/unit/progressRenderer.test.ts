/*
 * The terminal progress line: byte counts and rates in whole bytes below 1 KiB and one decimal
 * above (a rate once printed as "975.5864621261863 B/s").
 */
import { formatBytes, terminalProgress } from '../../src/cli/progressRenderer';

describe('progress line', () => {
  afterEach(() => jest.restoreAllMocks());

  it('formatBytes: whole bytes below 1 KiB, one decimal in KiB and MiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(975.5864621261863)).toBe('976 B');
    expect(formatBytes(1023.4)).toBe('1023 B');
    expect(formatBytes(1023.6)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1.2 * 1024 * 1024)).toBe('1.2 MiB');
  });

  it('renders the rate formatted on a terminal', () => {
    const written: string[] = [];
    const stream = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const now = jest.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000);
    const progress = terminalProgress(stream, true);
    progress.start('meshcentral@1.1.55', undefined);
    now.mockReturnValue(1_001_025);
    progress.advance(1000);
    now.mockReturnValue(1_002_000);
    progress.advance(2.4 * 1024 * 1024);
    progress.start('meshcentral@1.1.51', 4 * 1024 * 1024);
    now.mockReturnValue(1_004_000);
    progress.advance(1024 * 1024);
    expect(written).toEqual([
      '\r\u001b[Kmeshcentral@1.1.55 1000 B 976 B/s',
      '\r\u001b[Kmeshcentral@1.1.55 2.4 MiB 1.2 MiB/s',
      '\r\u001b[Kmeshcentral@1.1.51 1.0 MiB / 4.0 MiB 25% 512.0 KiB/s',
    ]);
  });
});
