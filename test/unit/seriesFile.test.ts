import { formatSeriesFile, parseSeriesFile } from '../../src/series/seriesFile';
import { errorOf } from '../support/errors';

describe('parseSeriesFile', () => {
  it('reads names in order with their line numbers, skipping comments and blank lines', () => {
    const text = '# the JWT series\n\nadd-jwt.patch\n  serve-jwt.patch   # trailing comment\n\n# done\nkeywords.patch -p1\n';
    expect(parseSeriesFile('series', text)).toEqual([
      { name: 'add-jwt.patch', line: 3, options: {} },
      { name: 'serve-jwt.patch', line: 4, options: {} },
      { name: 'keywords.patch', line: 7, options: { strip: 1 } },
    ]);
  });

  it('accepts CRLF line endings and a missing final newline', () => {
    expect(parseSeriesFile('series', 'a.patch\r\nb.patch')).toEqual([
      { name: 'a.patch', line: 1, options: {} },
      { name: 'b.patch', line: 2, options: {} },
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

  it('reads quilt strip levels (-p0, -pN, "-p N") and --ignore-trailing-whitespace', () => {
    const text = 'a.patch -p0\nb.patch -p3\nc.patch -p 2 --ignore-trailing-whitespace\n';
    expect(parseSeriesFile('series', text).map((e) => e.options)).toEqual([
      { strip: 0 },
      { strip: 3 },
      { strip: 2, ignoreTrailingWhitespace: true },
    ]);
  });

  it('refuses options it does not know (quilt -R, --fuzz), naming the line', () => {
    const error = errorOf(() => parseSeriesFile('series', 'a.patch\nb.patch -R\n'));
    expect(error.code).toBe('SERIES_INVALID');
    expect(error.message).toMatch(/^series:2: unsupported option "-R" for b\.patch/);
  });

  it('accepts entries in sub-folders (debian/patches style) and skips commented-out ones', () => {
    expect(parseSeriesFile('series', 'upstream/fix.patch\n#debian/disabled.patch\ndebian/local.patch\n').map((e) => e.name)).toEqual([
      'upstream/fix.patch',
      'debian/local.patch',
    ]);
  });

  it.each([['../outside.patch'], ['sub/../../a.patch'], ['/abs.patch'], ['..'], ['.']])(
    'refuses %s (not a file name inside the patches folder)',
    (name) => {
      const error = errorOf(() => parseSeriesFile('series', `ok.patch\n${name}\n`));
      expect(error.code).toBe('SERIES_INVALID');
      expect(error.message).toMatch(/^series:2: .* must be a file name inside the patches folder/);
    },
  );

  it('formatSeriesFile writes one name a line and round-trips', () => {
    const text = formatSeriesFile(['a.patch', 'b.patch']);
    expect(text).toBe('a.patch\nb.patch\n');
    expect(parseSeriesFile('series', text).map((e) => e.name)).toEqual(['a.patch', 'b.patch']);
  });
});
