/*
 * Jest reporter for the reliability suite (test/reliability): clears the tally folder when a run
 * starts and, when the run included reliability test files, prints their counts as a table and
 * fails the run (getLastError) if a file recorded no tally, missed a target, or the suite's totals
 * (bad-input cases, SIGKILLs) are under the targets. Totals are checked only when every
 * reliability file ran, so `jest test/reliability/diskFull.test.ts` alone is not failed for them.
 * A test that passed without one passing assertion fails the run too (jest counts them per test);
 * a file with concurrent tests, where jest's per-test count is not reliable, must count its own and
 * set a target named "... assertions" in its tally instead. A `test.failing` (titled "KNOWN GAP: ...")
 * passes when its assertion fails, so it is not held to that.
 */
const { existsSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const path = require('node:path');

const TALLY_DIR = path.join(__dirname, '..', '..', '.cache', 'reliability-tally');
const SUITE_DIR = __dirname;
/** Totals over the files, with the targets. */
const TOTALS = { 'bad-input cases': 80, kills: 300 };

class ReliabilityReporter {
  onRunStart() {
    rmSync(TALLY_DIR, { recursive: true, force: true });
    this.error = undefined;
  }

  onRunComplete(_contexts, results) {
    const ran = results.testResults.map((r) => r.testFilePath).filter((f) => f.startsWith(SUITE_DIR + path.sep) && f.endsWith('.test.ts'));
    if (ran.length === 0) return;
    const problems = [];
    const lines = ['', 'Reliability suite counts:'];
    const totals = {};
    for (const file of ran.sort()) {
      const name = path.basename(file).replace(/\.test\.ts$/, '');
      const fileResult = results.testResults.find((r) => r.testFilePath === file);
      const tallyFile = path.join(TALLY_DIR, `${name}.json`);
      if (!existsSync(tallyFile)) {
        problems.push(`${name}: recorded no counts (did its tests run to the end?)`);
        continue;
      }
      const tally = JSON.parse(readFileSync(tallyFile, 'utf8'));
      lines.push(`  ${name}: ${tally.title}`);
      if (!Object.keys(tally.targets).some((key) => /assertions$/.test(key))) {
        const empty = fileResult.testResults.filter(
          (t) => t.status === 'passed' && !(t.numPassingAsserts > 0) && !t.title.startsWith('KNOWN GAP:'),
        );
        for (const t of empty) problems.push(`${name}: "${t.title}" passed without a passing assertion`);
      }
      for (const [key, count] of Object.entries(tally.counts)) {
        const target = tally.targets[key];
        const mark = target === undefined ? '' : count >= target ? `  (target >= ${target}: met)` : `  (target >= ${target}: MISSED)`;
        if (target !== undefined && count < target) problems.push(`${name}: ${key} ${count} < ${target}`);
        lines.push(`    ${String(count).padStart(6)}  ${key}${mark}`);
        for (const total of Object.keys(TOTALS)) if (key === total) totals[total] = (totals[total] ?? 0) + count;
      }
    }
    const all = readdirSync(SUITE_DIR).filter((f) => f.endsWith('.test.ts'));
    if (all.every((f) => ran.some((r) => path.basename(r) === f))) {
      // A skipped kill test takes its planned phases out of the tally unseen: the whole suite runs every test.
      for (const r of results.testResults.filter((r) => ran.includes(r.testFilePath))) {
        for (const t of r.testResults.filter((t) => t.status !== 'passed' && t.status !== 'failed'))
          problems.push(`${path.basename(r.testFilePath)}: "${t.title}" did not run (${t.status})`);
      }
      lines.push('  totals:');
      for (const [key, target] of Object.entries(TOTALS)) {
        const count = totals[key] ?? 0;
        lines.push(`    ${String(count).padStart(6)}  ${key}  (target >= ${target}: ${count >= target ? 'met' : 'MISSED'})`);
        if (count < target) problems.push(`total ${key} ${count} < ${target}`);
      }
    }
    if (problems.length) lines.push('  FAILED:', ...problems.map((p) => `    ${p}`));
    process.stdout.write(`${lines.join('\n')}\n`);
    if (problems.length) this.error = new Error(`reliability suite: ${problems.join('; ')}`);
  }

  getLastError() {
    return this.error;
  }
}

module.exports = ReliabilityReporter;
