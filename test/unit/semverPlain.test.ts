/*
 * src/util/semver answers plain versions and ranges itself, without loading the semver package:
 * every answer must be the package's own. Compared over a grid of versions and ranges, plain and not.
 */
import semver from 'semver';
import * as quick from '../../src/util/semver';

const versions = [
  '0.0.0',
  '1.0.0',
  '1.1.0',
  '1.1.9',
  '1.1.55',
  '1.2.0',
  '1.10.3',
  '2.0.0',
  '2.0.1',
  '10.0.0',
  '01.1.1',
  '1.1.55-rc.1',
  '1.1.55+build',
  'v1.1.55',
  '=1.1.55',
  ' 1.1.55 ',
  '1.1',
  '1',
  '',
  'x',
  '999999999999999.0.0',
  '9999999999999999.0.0',
];
const comparators = [
  '1.1.55',
  '=1.1.55',
  '>=1.1.0',
  '>=1.1',
  '>=1',
  '<2',
  '<1.2',
  '<2.0.0',
  '<=1.1.55',
  '<=1.1',
  '>1.1.0',
  '>1.1',
  '>1',
  '=1',
  '1',
  '1.1',
  '~1.1.0',
  '^1.1.0',
  '1.x',
  '*',
  '>=01.1.0',
  '>=1.1.0-0',
  '<2.0.0-0',
];
const ranges = [
  ...comparators,
  ...comparators.flatMap((a) => ['>=1.1.0', '>1.1', '<=1.1.55', '1'].map((b) => `${a} ${b}`)),
  '>=1.1.0 <2',
  '>=1.1.0  <2',
  ' >=1.1.0 <2',
  '>= 1.1.0 <2',
  '>=1.1.0 || <1',
  '1.0.0 - 1.2.0',
  '',
];

describe('src/util/semver', () => {
  test("satisfies gives the package's answer for every version and range of the grid", () => {
    const differ: string[] = [];
    for (const v of versions) for (const r of ranges) if (quick.satisfies(v, r) !== semver.satisfies(v, r)) differ.push(`${v} ${r}`);
    expect(differ).toEqual([]);
  });

  test("valid, clean and isRange give the package's answers", () => {
    expect(versions.map((v) => quick.valid(v))).toEqual(versions.map((v) => semver.valid(v)));
    expect(versions.map((v) => quick.clean(v))).toEqual(versions.map((v) => semver.clean(v)));
    expect([...ranges, ...versions].map((r) => quick.isRange(r))).toEqual(
      [...ranges, ...versions].map((r) => semver.validRange(r) !== null),
    );
  });

  test("compare, rcompare and gt are the package's", () => {
    const plain = versions.filter((v) => semver.valid(v) === v);
    for (const a of plain)
      for (const b of plain) {
        expect(quick.compare(a, b)).toBe(semver.compare(a, b));
        expect(quick.rcompare(a, b)).toBe(semver.rcompare(a, b));
        expect(quick.gt(a, b)).toBe(semver.gt(a, b));
      }
  });
});
