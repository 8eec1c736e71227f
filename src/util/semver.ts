/*
 * The semver functions meshfork uses. The package's modules (about two dozen of them) load only when
 * a call needs them: a warm command's versions and ranges are nearly always plain ("1.1.55",
 * ">=1.1.0 <2"), and those are answered here with the package's own result (start-up time; see
 * README "Performance"). Anything else (prereleases, build metadata, "v" or "=" prefixes, spaces,
 * "||", hyphen ranges, wildcards, "~" and "^") goes to the package.
 */
import type compareFn from 'semver/functions/compare';
import type satisfiesFn from 'semver/functions/satisfies';
import type validFn from 'semver/functions/valid';
import type validRangeFn from 'semver/ranges/valid';
import type cleanFn from 'semver/functions/clean';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand: semver is costly at start-up */
const load = {
  compare: () => require('semver/functions/compare') as typeof compareFn,
  gt: () => require('semver/functions/gt') as typeof compareFn extends (...a: infer A) => unknown ? (...a: A) => boolean : never,
  rcompare: () => require('semver/functions/rcompare') as typeof compareFn,
  satisfies: () => require('semver/functions/satisfies') as typeof satisfiesFn,
  valid: () => require('semver/functions/valid') as typeof validFn,
  validRange: () => require('semver/ranges/valid') as typeof validRangeFn,
  clean: () => require('semver/functions/clean') as typeof cleanFn,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** A release version as semver parses it strictly: no leading zeros, at most 15 digits a part (always a safe integer). */
const PLAIN = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;
/** One comparator of a plain range: an operator and a full or partial plain version. */
const COMPARATOR = /^(>=|<=|>|<|=)?(0|[1-9]\d{0,14})(?:\.(0|[1-9]\d{0,14})(?:\.(0|[1-9]\d{0,14}))?)?$/;

type Triple = [number, number, number];

function plain(version: string): Triple | undefined {
  const m = PLAIN.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function order(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether a release version (no prerelease) satisfies one comparator, as semver decides it;
 * undefined for a comparator this does not cover (partial versions other than ">=" and "<").
 * ">=1.1" is ">=1.1.0"; "<2" is "<2.0.0-0", which for a release version is "<2.0.0".
 */
function test(v: Triple, m: RegExpExecArray): boolean | undefined {
  const op = m[1] ?? '';
  const partial = m[4] === undefined;
  if (partial && op !== '>=' && op !== '<') return undefined;
  const c: Triple = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  const d = order(v, c);
  if (op === '>=') return d >= 0;
  if (op === '<') return d < 0;
  if (op === '<=') return d <= 0;
  if (op === '>') return d > 0;
  return d === 0;
}

/** A range of plain comparators joined by single spaces, tested against a release version; undefined when not covered. */
function satisfiesPlain(version: string, range: string): boolean | undefined {
  const v = plain(version);
  if (!v || range.length === 0 || range.length > 256) return undefined;
  let all = true;
  for (const part of range.split(' ')) {
    const m = COMPARATOR.exec(part);
    if (!m) return undefined;
    const ok = test(v, m);
    if (ok === undefined) return undefined;
    all &&= ok;
  }
  return all;
}

export function compare(a: string, b: string): -1 | 0 | 1 {
  return load.compare()(a, b);
}

export function gt(a: string, b: string): boolean {
  return load.gt()(a, b);
}

export function rcompare(a: string, b: string): -1 | 0 | 1 {
  return load.rcompare()(a, b);
}

export function satisfies(version: string, range: string): boolean {
  return satisfiesPlain(version, range) ?? load.satisfies()(version, range);
}

export function valid(version: string): string | null {
  return PLAIN.test(version) ? version : load.valid()(version);
}

/** Whether semver takes `range` for a range (its validRange is not null). */
export function isRange(range: string): boolean {
  if (range.length > 0 && range.length <= 256 && range.split(' ').every((part) => COMPARATOR.test(part))) return true;
  return load.validRange()(range) !== null;
}

export function clean(version: string): string | null {
  return PLAIN.test(version) ? version : load.clean()(version);
}
