/*
 * The semver functions meshfork uses, each from its own module: `require('semver')` loads all 47
 * of the package's modules, these load half of them (start-up time; see README "Performance").
 */
export { default as compare } from 'semver/functions/compare';
export { default as gt } from 'semver/functions/gt';
export { default as rcompare } from 'semver/functions/rcompare';
export { default as satisfies } from 'semver/functions/satisfies';
export { default as valid } from 'semver/functions/valid';
export { default as validRange } from 'semver/ranges/valid';
export { default as clean } from 'semver/functions/clean';
