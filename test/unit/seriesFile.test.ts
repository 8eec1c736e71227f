import { formatSeriesFile, parseSeriesFile } from '../../src/series/seriesFile';
import { errorOf } from '../support/errors';

describe('parseSeriesFile', () => {
  it('reads names in order with their line numbers, skipping comments and blank lines', () => {
    const text = '# the JWT series\n\nadd-jwt.patch\n  serve-jwt.patch   # trailing comment\n\n# done\nkeywords.patch -p1\n';
    expect(parseSeriesFile('series', text)).toEqual([
      { name: 'add-jwt.patch', line: 3 },
      { name: 'serve-jwt.patch', line: 4 },
      { name: 'keywords.patch', line: 7 },
    ]);
  });

  it('accepts CRLF line endings and a missing final newline', () => {
    expect(parseSeriesFile('series', 'a.patch\r\nb.patch')).toEqual([
      { name: 'a.patch', line: 1 },
      { name: 'b.patch', line: 2 },
    ]);
  });

  it('ignores a UTF-8 byte order mark at the start', () => {
    expect(parseSeriesFile('series', '\xef\xbb\xbfa.patch\nb.patch\n').map((e) => e.name)).toEqual(['a.patch', 'b.patch']);
    expect(parseSeriesFile('series', '\ufeffa.patch\n').map((e) => e.name)).toEqual(['a.patch']);
  });

  it('an empty or comment-only series has no entries', () => {
    expect(parseSeriesFile('series', '')).toEqual([]);
    expect(parseSeriesFile('series', '# nothing yet\n\n')).toEqual([]);
  });

  it('refuses a duplicate entry, naming both lines', () => {
    const error = errorOf(() => parseSeriesFile('patches/series', 'a.patch\nb.patch\n\na.patch\n'));
    expect(error.code).toBe('SERIES_INVALID');
    expect(error.message).toBe('patches/series:4: "a.patch" is listed twice (first at line 1)');
    expect(error.hint).toMatch(/remove the duplicate/);
  });

  it('refuses options other than -p1', () => {
    const error = errorOf(() => parseSeriesFile('series', 'a.patch\nb.patch -p0\n'));
    expect(error.code).toBe('SERIES_INVALID');
    expect(error.message).toMatch(/^series:2: unsupported option "-p0" for b\.patch/);
  });

  it.each([['../outside.patch'], ['sub/a.patch'], ['..'], ['.']])('refuses %s (not a file name inside the patches folder)', (name) => {
    const error = errorOf(() => parseSeriesFile('series', `ok.patch\n${name}\n`));
    expect(error.code).toBe('SERIES_INVALID');
    expect(error.message).toMatch(/^series:2: .* must be a file name inside the patches folder/);
  });

  it('formatSeriesFile writes one name a line and round-trips', () => {
    const text = formatSeriesFile(['a.patch', 'b.patch']);
    expect(text).toBe('a.patch\nb.patch\n');
    expect(parseSeriesFile('series', text).map((e) => e.name)).toEqual(['a.patch', 'b.patch']);
  });
});
