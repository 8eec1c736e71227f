// The checks live in src/verify; this wires the smoke test's tree build to meshfork apply.
import type { ProgressSink } from '../util/progress';
import { runVerify } from '../verify/runVerify';
import type { VerifyReport } from '../verify/types';
import { apply } from './apply';

export interface VerifyCommandOptions {
  cwd: string;
  configFile?: string;
  smoke?: boolean;
  env?: NodeJS.ProcessEnv;
  assetsDir?: string;
  cacheDir?: string;
  modulesDir?: string;
  progress?: ProgressSink;
}

export async function verify(options: VerifyCommandOptions): Promise<VerifyReport> {
  return runVerify({
    ...options,
    buildTree: async (out) => {
      const built = await apply({ cwd: options.cwd, configFile: options.configFile, out, cacheDir: options.cacheDir });
      if (!built.written) throw new Error(`apply wrote nothing to ${out} although verify's strict check passed (a bug in meshfork)`);
    },
  });
}
