import { readFileSync } from 'node:fs';
import semver from 'semver';
import { buildCheckReport, buildReleaseReport } from '../../src/checkReport/build';
import { syncCheckJsonSchemaText } from '../../src/checkReport/jsonSchema';
import { syncCheckReportSchema } from '../../src/checkReport/schema';
import { makePatch, outcomeFor, SYNC_CHECK_SCHEMA_FILE, syncCheckValidator, TARGETS } from './reportSupport';

test('the committed schemas/sync-check.schema.json is generated from the zod schema (npm run schema:sync-check)', () => {
  expect(readFileSync(SYNC_CHECK_SCHEMA_FILE, 'utf8')).toBe(syncCheckJsonSchemaText());
});

test('reports with every status validate against the JSON Schema and the zod schema', async () => {
  const patch = makePatch();
  const releases = await Promise.all(
    Object.values(TARGETS).map(async (target, i) =>
      buildReleaseReport({
        version: `1.1.${56 + i}`,
        identity: null,
        inSupports: i < 4,
        outcome: await outcomeFor(target, [patch]),
        patches: [patch],
        securityCommits: i === 0 ? null : [],
      }),
    ),
  );
  const report = buildCheckReport({
    upstream: { kind: 'npm', source: 'meshcentral' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    newest: '1.1.60',
    mode: 'all',
    fuzz: 0,
    releases,
    isNewer: semver.gt,
  });
  expect(new Set(releases.map((r) => r.status))).toEqual(new Set(['clean', 'offset', 'conflict', 'needs-refresh', 'already-applied']));
  // Through JSON, as a consumer sees it.
  const json: unknown = JSON.parse(JSON.stringify(report));
  expect(syncCheckValidator()(json)).toEqual([]);
  expect(syncCheckReportSchema.safeParse(json).success).toBe(true);
});

test('the JSON Schema rejects what the documented contract forbids', () => {
  const validate = syncCheckValidator();
  const good = {
    schemaVersion: 1,
    upstream: { kind: 'npm', source: 'meshcentral' },
    base: '1.1.55',
    supports: '>=1.1.0 <2',
    newest: '1.1.55',
    mode: 'newest',
    fuzz: 0,
    upToDate: true,
    baseChecked: false,
    status: 'clean',
    exitCode: 0,
    next: null,
    releases: [],
  };
  expect(validate(good)).toEqual([]);
  expect(validate({ ...good, schemaVersion: 2 })).not.toEqual([]);
  expect(validate({ ...good, status: 'fine' })).not.toEqual([]);
  expect(validate({ ...good, exitCode: 2 })).not.toEqual([]);
  expect(validate({ ...good, surprise: true })).not.toEqual([]);
  const { releases: _dropped, ...missing } = good;
  expect(validate(missing)).not.toEqual([]);
});
