import { runGit } from '../tools/git';

export async function projectProvenance(root: string): Promise<{ revision?: string; remote?: string }> {
  const head = await runGit(['rev-parse', '--verify', '-q', 'HEAD'], { cwd: root, okExitCodes: [0, 1, 128] });
  if (head.exitCode !== 0) return {};
  const remote = await runGit(['remote', 'get-url', 'origin'], { cwd: root, okExitCodes: [0, 1, 2, 128] });
  const url = remote.exitCode === 0 ? remote.stdout.toString('utf8').trim() : '';
  // A credential in the remote URL must not end up in a label.
  return { revision: head.stdout.toString('utf8').trim(), remote: url ? url.replace(/\/\/[^/@]*@/, '//') : undefined };
}
