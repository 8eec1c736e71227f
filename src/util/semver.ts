// Plain versions and ranges are answered here as semver would; the rest loads its two dozen modules (README "Performance").
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
const COMPARATOR = /^(>=|<=|>|<|=)?(0|[1-9]\d{0,14})(?:\.(0|[1-9]\d{0,14})(?:\.(0|[1-9]\d{0,14}))?)?$/;

type Triple = [number, number, number];

function plain(version: string): Triple | undefined {
  const m = PLAIN.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function order(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** undefined for a comparator not covered; ">=1.1" is ">=1.1.0", "<2" is "<2.0.0-0" (for a release, "<2.0.0"). */
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

export function isRange(range: string): boolean {
  if (range.length > 0 && range.length <= 256 && range.split(' ').every((part) => COMPARATOR.test(part))) return true;
  return load.validRange()(range) !== null;
}

export function clean(version: string): string | null {
  return PLAIN.test(version) ? version : load.clean()(version);
}
