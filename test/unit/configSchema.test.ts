import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configJsonSchema } from '../../src/config/emitSchema';
import { parseConfig } from '../../src/config/load';
import { MeshforkError } from '../../src/errors';
import { JWT_SERIES_FIXTURE } from '../support/jwtSeriesFixture';

const root = path.resolve(__dirname, '..', '..');

describe('config schema', () => {
  it('the committed meshfork.schema.json is the one generated from the zod schema (run `npm run schema`)', () => {
    const committed = JSON.parse(readFileSync(path.join(root, 'meshfork.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
  });

  it("accepts the JWT series fixture's config and fills defaults", () => {
    const raw = JSON.parse(readFileSync(path.join(JWT_SERIES_FIXTURE, 'meshfork.config.json'), 'utf8'));
    const config = parseConfig('meshfork.config.json', raw);
    expect(config.upstream).toEqual({ source: 'npm', package: 'meshcentral' });
    expect(config.base).toBe('1.1.55');
    expect(config.patches).toBe('patches');
  });

  it('names the field path of every problem', () => {
    const raw = { upstream: { source: 'git', url: 'ftp://x' }, base: 'one', supports: '>=1', extra: 1 };
    let error: unknown;
    try {
      parseConfig('meshfork.config.json', raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MeshforkError);
    const e = error as MeshforkError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/meshfork\.config\.json: upstream\.url: must be an https:\/\/, ssh:\/\/ or file:\/\/ URL/);
    expect(e.message).toMatch(/meshfork\.config\.json: base: must be a semver version/);
    expect(e.message).toMatch(/extra/);
  });

  it('refuses a base outside supports', () => {
    expect(() =>
      parseConfig('c.json', { upstream: { source: 'npm', package: 'meshcentral' }, base: '0.7.99', supports: '>=1.1.0 <2' }),
    ).toThrow(/base: 0\.7\.99 is outside supports ">=1\.1\.0 <2"/);
  });
});
