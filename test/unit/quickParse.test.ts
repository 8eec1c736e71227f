/*
 * The zod-free config check must accept only what configSchema accepts and return exactly what it
 * returns (values, defaults, key order); everything else goes to zod for its error message.
 */
import { quickParseConfig } from '../../src/config/quickParse';
import { configSchema } from '../../src/config/schema';
import { mulberry32 } from '../support/random';

const VALID: unknown[] = [
  { upstream: { source: 'npm', package: 'meshcentral' }, base: '1.1.55', supports: '>=1.1.0 <2' },
  {
    $schema: './meshfork.schema.json',
    upstream: { source: 'npm', package: 'meshcentral' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    patches: 'patches',
    image: { repository: 'r', tag: '{version}-jwt', nodeVersion: '20' },
  },
  {
    image: { tag: 'x' },
    patches: 'p',
    supports: '1.x',
    base: '1.1.0',
    upstream: { tagPattern: 'release-*', url: 'https://example.invalid/mc.git', source: 'git' },
  },
  {
    upstream: { source: 'npm', package: 'meshcentral' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    image: { source: 'https://example.invalid/fork', baseImage: 'local/node', lockFile: 'deps.lock', docker: '/usr/bin/docker' },
    policy: { allowGenerated: ['public/**'] },
  },
  { upstream: { source: 'git', url: 'file:///tmp/mc.git' }, base: '1.1.55', supports: '*' },
];

/** Small edits of a valid config: wrong types, empty strings, unknown keys, bad versions and URLs. */
const MUTATIONS: ((c: Record<string, unknown>) => void)[] = [
  (c) => (c.base = '1.1'),
  (c) => (c.base = 1155),
  (c) => (c.supports = 'not a range'),
  (c) => (c.supports = ''),
  (c) => (c.patches = ''),
  (c) => (c.patches = null),
  (c) => (c.extra = true),
  (c) => (c.$schema = 5),
  (c) => (c.upstream = { source: 'npm', package: '' }),
  (c) => (c.upstream = { source: 'npm', package: 'm', url: 'https://x' }),
  (c) => (c.upstream = { source: 'git', url: 'http://plain.invalid/x.git' }),
  (c) => (c.upstream = { source: 'git', url: 'git@host:x.git', tagPattern: 7 }),
  (c) => (c.upstream = { source: 'svn', url: 'https://x' }),
  (c) => (c.upstream = ['npm']),
  (c) => (c.image = { repository: '' }),
  (c) => (c.image = { tag: 'x', port: 1 }),
  (c) => (c.image = 'meshfork/meshcentral'),
  (c) => delete c.upstream,
  (c) => delete c.base,
];

function check(raw: unknown): void {
  const quick = quickParseConfig(raw);
  const zod = configSchema.safeParse(raw);
  if (quick === undefined) return; // zod decides, and words the error
  expect(zod.success).toBe(true);
  expect(JSON.stringify(quick)).toBe(JSON.stringify(zod.data));
}

describe('quickParseConfig', () => {
  it.each(VALID.map((c) => [c]))('returns what configSchema returns for %j', (raw) => {
    expect(quickParseConfig(raw)).toBeDefined();
    check(raw);
  });

  it('accepts nothing zod refuses and returns what zod returns, over 2,000 mutated configs', () => {
    const random = mulberry32(14);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const raw = JSON.parse(JSON.stringify(VALID[Math.floor(random() * VALID.length)])) as Record<string, unknown>;
      const edits = 1 + Math.floor(random() * 2);
      for (let e = 0; e < edits; e++) MUTATIONS[Math.floor(random() * MUTATIONS.length)](raw);
      check(raw);
      if (quickParseConfig(raw) === undefined) refused++;
    }
    // the mutations are real: most configs are left to zod
    expect(refused).toBeGreaterThan(1500);
  });

  it('leaves non-objects to zod', () => {
    for (const raw of [null, [], 'x', 1, Object.create(null)]) expect(quickParseConfig(raw)).toBeUndefined();
  });
});
