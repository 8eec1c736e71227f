import path from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../../errors';
import type { SyncStatusResult } from '../../commands/syncStatus';
import type { RebaseReport } from '../../rebase/rebaseSession';
import type { CommandOutcome, GlobalOptions } from '../context';
import { withExamples } from '../help';
import type { Dispatch } from '../context';

const REBASE_EXIT_CODES = `
Exit codes:
  0  every patch is on the new release; patches/, config and lock are updated
  1  stopped on a conflict: markers are in .meshfork/work; resolve, then \`meshfork sync continue\`
  2  usage, config, series or version error (e.g. a rebase already in progress, --to outside "supports")
  4  environment: upstream unreachable, integrity mismatch, git failing
`;

function rel(globals: GlobalOptions, p: string): string {
  return path.relative(globals.cwd, p) || '.';
}

/** Text and exit code for a finished or stopped rebase (shared by rebase and continue). */
async function rebaseOutcome(report: RebaseReport, globals: GlobalOptions): Promise<CommandOutcome> {
  const json = { schemaVersion: 1, ...report };
  if (report.status === 'stopped') {
    const lines = [
      `Conflict in patch ${report.position}/${report.total} ${report.patch.name} ("${report.patch.subject}") on ${report.to}:`,
    ];
    for (const c of report.conflicts) {
      lines.push(
        `  ${c.path}${c.missing ? `  (the patch changes it, but ${report.to} has no such file)` : c.ranges.length ? `  lines ${c.ranges.join(', ')}` : ''}`,
      );
    }
    const missing = report.conflicts.filter((c) => c.missing).map((c) => c.path);
    const marked = report.conflicts.filter((c) => !c.missing).length > 0;
    lines.push('');
    if (marked)
      lines.push(`Resolve it in ${rel(globals, report.workDir)}: edit the files (remove every <<<<<<< ======= >>>>>>> block), then`);
    if (missing.length) {
      // No markers to remove: the file is gone. Say the two ways on from the start.
      lines.push(
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} gone from ${report.to}, so there is nothing to merge${marked ? ' there' : ''}. Either drop the patch:`,
        '  meshfork sync continue --skip   # upstream removed what the patch changes, or it is no longer needed',
        `or re-create ${missing.length === 1 ? 'the file' : 'the files'} in ${rel(globals, report.workDir)} with the patch's change, then`,
      );
    }
    lines.push(
      '  meshfork sync continue   # commits the resolution as this patch and goes on with the next',
      '  meshfork sync abort      # puts patches/, config and lock back exactly as before',
      '  meshfork sync status     # where the rebase stands',
    );
    return { exitCode: ExitCode.conflict, json, text: lines.join('\n') };
  }
  // Loaded here, not at start-up: `--version` and `--help` load the CLI files only.
  const { dropWords } = await import('../../rebase/dropReason');
  const lines = [`Rebased the series from ${report.from} to ${report.to}:`];
  for (const p of report.summary.patches) {
    const moves = p.moves.map((m) => `${m.path} ${m.oldStart}→${m.newStart}`).join(', ');
    const why = p.result === 'dropped' && p.dropReason ? `  (${dropWords(p.dropReason)})` : '';
    lines.push(`  ${p.result.padEnd(9)}  ${p.newName ? `${p.name} -> ${p.newName}` : p.name}${moves ? `  (${moves})` : ''}${why}`);
    for (const c of p.culprits ?? []) lines.push(`             upstream: ${c.commit.slice(0, 10)} ${c.subject}`);
  }
  const security = report.summary.securityCommits ?? [];
  if (security.length) {
    lines.push(
      '',
      `Security: ${security.length} upstream commit(s) between ${report.from} and ${report.to} mention security, CVE or vulnerability:`,
    );
    for (const c of security) lines.push(`  ${c.commit.slice(0, 10)} ${c.subject} (${c.author}, ${c.date.slice(0, 10)})`);
  }
  lines.push('', `"base" is now ${report.to} in the config; ${report.to} is pinned in the lock; Meshfork-Base trailers say ${report.to}.`);
  if (report.summaryFile) lines.push(`Summary for the pull request: ${rel(globals, report.summaryFile)}`);
  if (report.commit)
    lines.push(`Committed ${report.commit.id.slice(0, 12)} on branch ${report.commit.branch}; publish it with \`meshfork sync push\`.`);
  else lines.push('Review with `git diff`, then commit patches/, the config and the lock.');
  return { exitCode: ExitCode.ok, json, text: lines.join('\n') };
}

function statusText(status: SyncStatusResult, globals: GlobalOptions): string {
  const lines = [`Series base: ${status.base}`];
  if (status.rebase) {
    const r = status.rebase;
    lines.push(`Rebase in progress from ${r.from} to ${r.to}: ${r.done} of ${r.total} patch(es) done.`);
    if (r.stopped) {
      lines.push(`Stopped on ${r.stopped.patch}; conflicts in ${r.stopped.conflicts.join(', ')}.`);
      if (r.stopped.missing.length) {
        lines.push(
          `${r.stopped.missing.join(', ')}: gone from ${r.to}; drop the patch with \`meshfork sync continue --skip\`, or re-create the file with the patch's change and run \`meshfork sync continue\`.`,
        );
      }
      if (r.stopped.markers.length) lines.push(`Markers remain at ${r.stopped.markers.join(', ')}.`);
      else if (r.stopped.missing.length === 0) lines.push('No conflict markers remain: run `meshfork sync continue`.');
    }
    lines.push('Next: `meshfork sync continue` or `meshfork sync abort`.');
  } else lines.push('No rebase in progress.');
  if (status.workspace) {
    const w = status.workspace;
    const state = status.rebase
      ? ', the rebase in progress'
      : w.unexported
        ? ', with work not exported yet'
        : w.drifted
          ? ', out of step: patches/ changed since the workspace last matched it (`meshfork export` writes the workspace back, `meshfork edit --force` rebuilds it from patches/)'
          : ', in step with patches/';
    lines.push(`Workspace ${rel(globals, w.dir)}: upstream ${w.version} + ${w.commits} commit(s)${state}.`);
    if (w.dirty.length) lines.push(`Uncommitted: ${w.dirty.slice(0, 10).join(', ')}${w.dirty.length > 10 ? ', ...' : ''}`);
    if (w.gitOperation) lines.push(`A git ${w.gitOperation} is in progress there.`);
  } else lines.push('No workspace (create one with `meshfork edit`).');
  return lines.join('\n');
}

/** `sync rebase` (alias `merge`), `continue`, `abort`, `status`, `push`. */
export function registerSyncRebase(sync: Command, dispatch: Dispatch): void {
  const rebase = sync
    .command('rebase')
    .alias('merge')
    .description('move the series onto another upstream release: strict, then 3-way per patch; stops on conflicts')
    .requiredOption('--to <version>', 'the upstream release to move to')
    .option('--commit', 'when done, commit patches/, config and lock on a new branch of the project repository')
    .option('--branch <name>', 'branch for --commit (default: meshfork/upstream-VERSION)')
    .option('--summary <file>', 'write a markdown summary for the pull request (per patch: unchanged, moved, refreshed, resolved)')
    .option(
      '--non-interactive',
      'for CI: never wait for a person; on a conflict exit 1 with the report and keep the workspace for inspection',
    )
    .option('--force', 'set aside a workspace with unexported work (sync abort brings it back)')
    .action((flags: { to: string; commit?: boolean; branch?: string; summary?: string; nonInteractive?: boolean; force?: boolean }) =>
      dispatch(async (globals) => {
        const { syncRebase } = await import('../../commands/syncRebase');
        const report = await syncRebase({
          cwd: globals.cwd,
          configFile: globals.config,
          to: flags.to,
          commit: flags.commit || flags.branch !== undefined,
          branch: flags.branch,
          summary: flags.summary,
          force: flags.force,
          progress: globals.progress,
        });
        return await rebaseOutcome(report, globals);
      }),
    );
  withExamples(rebase, [
    'meshfork sync rebase --to 1.1.56',
    "meshfork sync merge --to 1.1.56        # the same; the old workflow's word",
    'meshfork sync rebase --to 1.1.56 --non-interactive --commit --summary sync-summary.md && meshfork sync push',
    'meshfork sync rebase --to 1.1.56 --commit --branch fork/refresh-1.1.56',
  ]);
  rebase.addHelpText('after', REBASE_EXIT_CODES);

  const cont = sync
    .command('continue')
    .description('after resolving a conflict in .meshfork/work: commit the resolution and go on (refuses while markers remain)')
    .option('--skip', 'drop the stopped patch from the series instead (upstream has the change, or it is no longer needed)')
    .action((flags: { skip?: boolean }) =>
      dispatch(async (globals) => {
        const { syncContinue } = await import('../../commands/syncContinue');
        return await rebaseOutcome(
          await syncContinue({ cwd: globals.cwd, configFile: globals.config, skip: flags.skip, progress: globals.progress }),
          globals,
        );
      }),
    );
  withExamples(cont, ['meshfork sync continue', 'meshfork sync status && meshfork sync continue', 'meshfork sync continue --skip']);
  cont.addHelpText(
    'after',
    REBASE_EXIT_CODES.replace(
      '1  stopped on a conflict',
      '1  markers remain, the resolution is empty (see --skip), or stopped on the next conflict',
    ),
  );

  const abort = sync
    .command('abort')
    .description('undo the rebase in progress: patches/, config, lock and any earlier workspace come back byte for byte')
    .action(() =>
      dispatch(async (globals) => {
        const { syncAbort } = await import('../../commands/syncAbort');
        const result = await syncAbort({ cwd: globals.cwd, configFile: globals.config });
        const what = result.from ? ` from ${result.from} to ${result.to}` : '';
        return {
          exitCode: ExitCode.ok,
          json: { schemaVersion: 1, ...result },
          text: `Aborted the rebase${what}; restored ${result.restored.map((p) => rel(globals, p)).join(', ')}.`,
        };
      }),
    );
  withExamples(abort, ['meshfork sync abort']);
  abort.addHelpText('after', '\nExit codes:\n  0  restored\n  2  no rebase in progress, or its backup is damaged\n');

  const status = sync
    .command('status')
    .description('where a rebase stands (stopped patch, remaining conflict markers) and what the workspace holds')
    .action(() =>
      dispatch(async (globals) => {
        const { syncStatus } = await import('../../commands/syncStatus');
        const result = await syncStatus({ cwd: globals.cwd, configFile: globals.config });
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...result }, text: statusText(result, globals) };
      }),
    );
  withExamples(status, ['meshfork sync status', 'meshfork --json sync status | jq .rebase']);
  status.addHelpText('after', '\nExit codes:\n  0  status printed\n  2  config error or damaged rebase state\n');

  const push = sync
    .command('push')
    .description('push the refresh branch made by `sync rebase --commit` to a remote (never the default branch)')
    .option('--remote <name>', 'remote to push to', 'origin')
    .option('--branch <name>', 'branch to push (default: the one the last `sync rebase --commit` made)')
    .action((flags: { remote: string; branch?: string }) =>
      dispatch(async (globals) => {
        const { syncPush } = await import('../../commands/syncPush');
        const result = await syncPush({ cwd: globals.cwd, configFile: globals.config, remote: flags.remote, branch: flags.branch });
        const text = result.pushed
          ? `Pushed ${result.branch} (${result.commit.slice(0, 12)}) to ${result.remote}.`
          : `Nothing new: ${result.remote} already has ${result.branch} at ${result.commit.slice(0, 12)}.`;
        return { exitCode: ExitCode.ok, json: { schemaVersion: 1, ...result }, text };
      }),
    );
  withExamples(push, ['meshfork sync push', 'meshfork sync push --remote fork --branch meshfork/upstream-1.1.56']);
  push.addHelpText(
    'after',
    '\nExit codes:\n  0  pushed, or nothing new (the remote has the branch at that commit)\n  2  no branch recorded or named, the default branch, no such branch or remote, not a git repository\n  4  git push failed (network, credentials, rejected)\n',
  );
}
