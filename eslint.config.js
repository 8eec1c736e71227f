// The linter for the whole tree: `npm run lint` (part of `npm test`). Layout is prettier's job (.prettierrc.json).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

// `_name` marks a parameter or binding that is there for its position only (a callback's first argument, a dropped field).
const unusedVars = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' };

module.exports = tseslint.config(
  {
    ignores: [
      'dist/',
      'dist-bench/',
      'node_modules/',
      'coverage/',
      '.cache/',
      '.meshfork/',
      '.artifacts/',
      'build/',
      'patches/',
      'test/fixtures/',
    ],
  },
  js.configs.recommended,
  {
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-unused-vars': ['error', unusedVars],
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      // for the type-aware promise rules: the project service reads tsconfig.json (src, test, bench)
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', unusedVars],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // Plain CommonJS run by Node: the entry script, the image's container scripts, the payload (files/, image/), these configs.
    files: ['**/*.js', 'bin/meshfork'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // Core code never prints: it returns results, and src/cli writes them. The image's container scripts
    // (src/image/assets) are programs of their own whose output is the container log.
    files: ['src/**'],
    ignores: ['src/cli/**', 'src/image/assets/**'],
    rules: { 'no-console': 'error' },
  },
  {
    // The payload runs inside MeshCentral and is written in MeshCentral's house style: `==` and `!=`
    // (typeof tests, lengths, strings), `catch (ex) { }` where a failure is meant to be ignored, and
    // wrappers of MeshCentral functions that keep the wrapped function's parameter list.
    // `\/` inside regular expressions is only a warning until the file is next edited.
    files: ['files/**'],
    rules: {
      eqeqeq: 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-unused-vars': ['error', { ...unusedVars, args: 'none' }],
      'no-useless-escape': 'warn',
    },
  },
);
