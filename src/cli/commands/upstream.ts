import type { Command } from 'commander';
import type { UpstreamFetchResult } from '../../commands/upstreamFetch';
import type { UpstreamListResult } from '../../commands/upstreamList';
import { withExamples } from '../help';
import type { Dispatch, Registrar } from '../context';

function listText(result: UpstreamListResult): string {
  const lines = [`${result.upstream}: base ${result.base}, supports "${result.supports}"`];
  const width = Math.max(7, ...result.releases.map((r) => r.version.length));
  for (const r of result.releases) {
    const marks = [r.base && 'base', r.newest && 'newest', !r.supported && 'outside supports'].filter(Boolean).join(', ');
    lines.push(`  ${r.version.padEnd(width)}  ${(r.date ?? '').slice(0, 10).padEnd(10)}  ${marks}`.trimEnd());
  }
  if (result.releases.length === 0) lines.push('  (no releases)');
  return lines.join('\n');
}

function fetchText(result: UpstreamFetchResult): string {
  return result.releases.map((r) => `cached ${r.version} (${r.identity})`).join('\n');
}

function registerList(upstream: Command, dispatch: Dispatch): void {
  const cmd = upstream
    .command('list')
    .description('list upstream releases with dates, marking the base, the newest and those outside "supports"')
    .action(() =>
      dispatch(async (globals) => {
        const { upstreamList } = await import('../../commands/upstreamList');
        const result = await upstreamList({ cwd: globals.cwd, configFile: globals.config, progress: globals.progress });
        return { exitCode: 0, json: result, text: listText(result) };
      }),
    );
  withExamples(cmd, ['meshfork upstream list', 'meshfork --json upstream list | jq -r ".releases[] | select(.supported) | .version"']);
  cmd.addHelpText('after', '\nExit codes:\n  0  listed\n  2  config error\n  4  upstream unreachable, git or npm missing or failing\n');
}

function registerFetch(upstream: Command, dispatch: Dispatch): void {
  const cmd = upstream
    .command('fetch')
    .description('download releases into the cache ahead of time (verified, recorded in meshfork.lock.json)')
    .argument('[versions...]', 'releases to fetch (default: the base)')
    .option('--update-lock', 'accept an identity that differs from meshfork.lock.json (a moved tag) and record it')
    .action((versions: string[], flags: { updateLock?: boolean }) =>
      dispatch(async (globals) => {
        const { upstreamFetch } = await import('../../commands/upstreamFetch');
        const result = await upstreamFetch({
          cwd: globals.cwd,
          configFile: globals.config,
          versions,
          updateLock: flags.updateLock,
          progress: globals.progress,
        });
        return { exitCode: 0, json: result, text: fetchText(result) };
      }),
    );
  withExamples(cmd, [
    'meshfork upstream fetch',
    'meshfork upstream fetch 1.1.51 1.1.55',
    'MESHFORK_CACHE=/opt/meshfork-cache meshfork upstream fetch',
  ]);
  cmd.addHelpText(
    'after',
    '\nExit codes:\n  0  every release is cached and verified\n  2  unknown version, lock mismatch (see --update-lock), config error\n  4  upstream unreachable, integrity mismatch, corrupt cache, git or npm missing\n',
  );
}

/** `meshfork upstream list|fetch`. */
export const registerUpstream: Registrar = (program, dispatch) => {
  const upstream = program.command('upstream').description('upstream releases: list them, fill the cache');
  withExamples(upstream, ['meshfork upstream list', 'meshfork upstream fetch 1.1.55']);
  upstream.addHelpText(
    'after',
    "\nExit codes (each subcommand's --help has its own):\n  0  done\n  2  unknown version, lock mismatch, config error\n  4  upstream unreachable, integrity mismatch, corrupt cache, git or npm missing\n",
  );
  registerList(upstream, dispatch);
  registerFetch(upstream, dispatch);
};
