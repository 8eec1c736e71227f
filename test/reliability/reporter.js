/*
 * Jest reporter for the reliability suite (test/reliability): clears the tally folder when a run
 * starts and, when the run included reliability test files, prints their counts as a table and
 * fails the run (getLastError) if a file recorded no tally, missed a target, or the suite's totals
 * (bad-input cases, SIGKILLs) are under the targets. Totals are checked only when every
 * reliability file ran, so `jest test/reliability/diskFull.test.ts` alone is not failed for them.
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
      const tallyFile = path.join(TALLY_DIR, `${name}.json`);
      if (!existsSync(tallyFile)) {
        problems.push(`${name}: recorded no counts (did its tests run to the end?)`);
        continue;
      }
      const tally = JSON.parse(readFileSync(tallyFile, 'utf8'));
      lines.push(`  ${name}: ${tally.title}`);
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
