import path from 'node:path';
import { ExitCode, MeshforkError } from '../../errors';
import type { HeaderGap } from '../../import/headerGaps';
import { withExamples } from '../help';
import type { Registrar } from '../context';

const squashValues = ['file', 'all'] as const;

/** What `import mbox` and `import quilt` exit with (README, Exit codes). */
const IMPORT_EXIT_CODES =
  '\nExit codes:\n  0  added to the series (they apply to the base)\n  1  a patch does not apply to the base (CONFLICT): nothing written\n  2  usage, config, series or patch error (a name taken, an unreadable patch)\n  4  upstream unreachable, git or npm missing or failing, disk full\n';

/** What verify will refuse in the imported headers, and the way to add it. */
function headerGapLines(gaps: HeaderGap[]): string[] {
  if (gaps.length === 0) return [];
  return [
    `Before \`meshfork verify\` passes, add to the header of ${gaps.length === 1 ? 'this patch' : 'these patches'} (above "---" in the file, or reword its commit: \`meshfork edit\`, \`git rebase -i upstream\` in .meshfork/work, \`meshfork export\`):`,
    ...gaps.map((g) => `  ${g.name}: ${g.missing.join(' and ')}`),
  ];
}

/** `meshfork import fork|mbox|quilt`: patches users already have, into the series. */
export const registerImport: Registrar = (program, dispatch) => {
  const imp = program
    .command('import')
    .description('take existing patches into the series: a merge-based fork, mbox files, a quilt series');
  imp.addHelpText(
    'after',
    "\nExit codes (each subcommand's --help has its own):\n  0  imported\n  1  the patches do not reproduce the fork or do not apply to the base: nothing written\n  2  usage, config, series or patch error\n  4  the fork or upstream cannot be reached, git or npm missing or failing\n",
  );
  withExamples(imp, [
    'meshfork import fork --from https://github.com/acme/MeshCentral.git --ref acme',
    'meshfork import mbox 1234.patch',
    'meshfork import quilt debian/patches',
  ]);

  const fork = imp
    .command('fork')
    .description(
      'turn a merge-based fork (upstream merged in, own commits on top) into a series on its upstream release, proven to reproduce the fork byte for byte',
    )
    .requiredOption('--from <url|path>', 'the fork: a git URL or a local repository')
    .option('--ref <branch>', 'branch, tag or commit of the fork (default: its HEAD)')
    .option('--onto <version>', "upstream release to base the series on (default: the fork's package.json version)")
    .option('--squash-by <how>', 'instead of one patch per fork commit: "file" (one patch per changed file) or "all" (one patch)')
    .action((flags: { from: string; ref?: string; onto?: string; squashBy?: string }) =>
      dispatch(async (globals) => {
        if (flags.squashBy !== undefined && !(squashValues as readonly string[]).includes(flags.squashBy)) {
          throw new MeshforkError('USAGE', `--squash-by ${flags.squashBy}: expected "file" or "all"`, {
            hint: 'meshfork import fork --from FORK --squash-by all',
          });
        }
        const { importFork } = await import('../../commands/importFork');
        const result = await importFork({
          cwd: globals.cwd,
          configFile: globals.config,
          from: flags.from,
          ref: flags.ref,
          onto: flags.onto,
          squashBy: flags.squashBy as 'file' | 'all' | undefined,
        });
        const dir = path.relative(globals.cwd, result.patchesDir) || '.';
        const lines = result.proved
          ? [
              `Imported ${result.patches.length} patch(es) into ${dir}/ on upstream ${result.version}; applied to ${result.version} they reproduce the fork (${result.commit.slice(0, 12)}) byte for byte.`,
            ]
          : [
              `Not imported: the series made from ${result.commit.slice(0, 12)} on upstream ${result.version} does not reproduce the fork. Paths that differ:`,
              ...result.differing.map((p) => `  ${p}`),
            ];
        result.patches.forEach((p, i) => lines.push(`${String(i + 1).padStart(3)}. ${p.name}  ${p.subject}`));
        if (result.files?.length) lines.push(`New files, kept as files (config "files"): ${result.files.join(', ')}`);
        if (result.leftOut.length)
          lines.push(
            `Left out (files upstream ${result.version} does not have that the fork's base commit already had, such as the git repository's own files): ${result.leftOut.join(', ')}`,
          );
        if (result.proved) lines.push(...headerGapLines(result.toComplete));
        if (result.conflicts > 0)
          lines.push(`${result.conflicts} fork commit(s) conflicted on ${result.version}; they carry the fork's merge resolution.`);
        if (result.baseChanged) lines.push(`The config's base is now ${result.version}.`);
        return { exitCode: result.proved ? ExitCode.ok : ExitCode.conflict, json: { schemaVersion: 1, ...result }, text: lines.join('\n') };
      }),
    );
  withExamples(fork, [
    'meshfork import fork --from ../meshcentral-fork',
    'meshfork import fork --from https://git.example.org/acme/meshcentral.git --ref production --onto 1.1.55',
    'meshfork import fork --from ../fork --squash-by file',
  ]);
  fork.addHelpText(
    'after',
    '\nExit codes:\n  0  imported and proven\n  1  the series does not reproduce the fork: nothing written, the differing paths listed\n  2  usage, config or series error (the series must be empty)\n  4  the fork or upstream cannot be reached\n',
  );

  const mbox = imp
    .command('mbox')
    .description("split mbox files (git format-patch --stdout, a pull request's .patch) into patches and add them to the series")
    .argument('<file...>', 'mbox files')
    .option('--before <name>', 'insert before this patch of the series instead of appending')
    .action((files: string[], flags: { before?: string }) =>
      dispatch(async (globals) => {
        const { importMbox } = await import('../../commands/importMbox');
        const result = await importMbox({ cwd: globals.cwd, configFile: globals.config, files, before: flags.before });
        const lines = [
          `Added ${result.added.length} patch(es) to ${path.relative(globals.cwd, result.patchesDir) || '.'}/series (they apply to upstream ${result.base}):`,
        ];
        for (const a of result.added) lines.push(`  ${a.name}  ${a.subject}  (from ${a.source})`);
        lines.push(...headerGapLines(result.toComplete ?? []));
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...result }, text: lines.join('\n') };
      }),
    );
  mbox.addHelpText('after', IMPORT_EXIT_CODES);
  withExamples(mbox, [
    'meshfork import mbox 1234.patch',
    'git -C ../fork format-patch --stdout v1..v2 > fixes.mbox && meshfork import mbox fixes.mbox --before add-the-jwt-single-sign-on-module.patch',
  ]);

  const quilt = imp
    .command('quilt')
    .description("add a quilt series (debian/patches, a Yocto recipe's patches) to the series, each patch kept as shipped with its -pN")
    .argument('<dir>', 'folder holding the quilt series file and its patches')
    .option('--before <name>', 'insert before this patch of the series instead of appending')
    .action((dir: string, flags: { before?: string }) =>
      dispatch(async (globals) => {
        const { importQuilt } = await import('../../commands/importQuilt');
        const result = await importQuilt({ cwd: globals.cwd, configFile: globals.config, dir, before: flags.before });
        const lines = [
          `Added ${result.added.length} patch(es) to ${path.relative(globals.cwd, result.patchesDir) || '.'}/series (they apply to upstream ${result.base}):`,
        ];
        for (const a of result.added) lines.push(`  ${a.name}  ${a.subject}`);
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...result }, text: lines.join('\n') };
      }),
    );
  quilt.addHelpText('after', IMPORT_EXIT_CODES);
  withExamples(quilt, ['meshfork import quilt ../debian/patches']);
};
