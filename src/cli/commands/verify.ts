import type { VerifyReport } from '../../verify/types';
import { withExamples } from '../help';
import { makeStyle, type Style } from '../style';
import type { Registrar } from '../context';

const EXIT_CODES = `
Exit codes:
  0  every check passed (skipped ones are listed with the reason)
  1  a check failed: a patch does not apply, a patched file does not parse, policy, image assets, the smoke script failed
  2  config, lock, series or patch header problem; --smoke with no smoke.script, an unreadable one, or its exit 2 (e.g. environment incomplete)
  3  only refreshes needed: the base already contains a patch, or patches/ is not what export writes
  4  environment: upstream unreachable, git/npm/node failing, the smoke script's exit 4 (e.g. PostgreSQL unreachable)

--smoke runs the project's smoke script (config smoke.script): \`node SCRIPT settings\` prints MeshCentral's
settings and environment, then \`node SCRIPT login\` runs with MESHFORK_SMOKE_URL, MESHFORK_SMOKE_LOG and
MESHFORK_SMOKE_APP_DIR against the started server; its stderr lines are the check's problems (README "The smoke script").
`;

export function verifyText(report: VerifyReport, style: Style): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    const mark = check.status === 'pass' ? style.green('pass') : check.status === 'fail' ? style.red('FAIL') : style.dim('skip');
    lines.push(`${mark}  ${check.id.padEnd(20)} ${check.title}${check.status === 'skip' ? style.dim(` (skipped: ${check.reason})`) : ''}`);
    for (const p of check.problems) {
      const where = p.file ? `${p.file}${p.line !== undefined ? `:${p.line}` : ''}: ` : '';
      lines.push(`      ${where}${p.patch && !p.file?.endsWith(p.patch) ? `[${p.patch}] ` : ''}${p.message}`);
      if (p.hint) lines.push(`        ${style.dim('hint')}: ${p.hint}`);
    }
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    report.ok
      ? style.green(`verify: ok (${report.checks.filter((c) => c.status === 'pass').length} passed)`)
      : style.red(`verify: ${failed} check(s) failed (exit ${report.exitCode})`),
  );
  return lines.join('\n');
}

/** `meshfork verify`: the pull-request gate. */
export const registerVerify: Registrar = (program, dispatch) => {
  const cmd = program
    .command('verify')
    .description(
      "check the series the way CI does: config, patches, policy, strict apply to the base, up to date, patched files (optionally the project's smoke script against a live server)",
    )
    .option('--smoke', "also start the patched MeshCentral and run the project's smoke script (smoke.script) against it")
    .action((flags: { smoke?: boolean }) =>
      dispatch(async (globals) => {
        const { verify } = await import('../../commands/verify');
        const report = await verify({ cwd: globals.cwd, configFile: globals.config, smoke: flags.smoke, progress: globals.progress });
        return { exitCode: report.exitCode, json: report, text: verifyText(report, makeStyle(globals.color)) };
      }),
    );
  withExamples(cmd, [
    'meshfork verify',
    'meshfork --json verify | jq \'.checks[] | select(.status == "fail")\'',
    'POSTGRES_HOST=127.0.0.1 POSTGRES_USER=mesh POSTGRES_PASSWORD=... POSTGRES_DB=dashboard JWT_SECRET=... JWT_ISSUER=https://dashboard.example.com JWT_AUDIENCE=meshcentral MESHFORK_SMOKE_USER_ID=u-1 MESHFORK_SMOKE_EMAIL=ops@example.com MESHFORK_SMOKE_TENANT=root meshfork verify --smoke',
  ]);
  cmd.addHelpText('after', EXIT_CODES);
};
