import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeshforkError } from '../errors';
import { dockerBuild, dockerInspectImage, dockerPush } from '../tools/docker';
import type { PreparedBuild } from './prepare';

export interface BuiltImage {
  imageId: string;
  steps: { total: number; cached: number };
  pushed: { tag: string; digest: string }[];
}

/** Counts BuildKit's plain-progress step lines ("#7 [stage-1 3/6] COPY ..." and "#7 CACHED"). */
function stepCounter(): { onLine(line: string): void; counts(): { total: number; cached: number } } {
  const steps = new Set<string>();
  const cached = new Set<string>();
  return {
    onLine(line) {
      const step = /^#(\d+) \[[^\]]*\d+\/\d+\]/.exec(line);
      if (step) steps.add(step[1]);
      const hit = /^#(\d+) CACHED$/.exec(line);
      if (hit) cached.add(hit[1]);
    },
    counts: () => ({ total: steps.size, cached: [...cached].filter((s) => steps.has(s)).length }),
  };
}

export async function runBuild(
  prepared: PreparedBuild,
  options: { pushTags?: string[]; onLine?: (line: string) => void },
): Promise<BuiltImage> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'meshfork-build-'));
  try {
    const iidFile = path.join(work, 'iid');
    const counter = stepCounter();
    await dockerBuild(prepared.plan.docker, {
      ...prepared.plan.options,
      iidFile,
      outputShown: options.onLine !== undefined,
      onLine: (line) => {
        counter.onLine(line);
        options.onLine?.(line);
      },
    });
    const imageId = (await fs.readFile(iidFile, 'utf8')).trim();
    const info = await dockerInspectImage(prepared.plan.docker, imageId);
    const actual = info?.Config.Labels ?? {};
    // The base image may add labels of its own; every one meshfork set must be there, as set.
    if (!info || Object.entries(prepared.labels).some(([key, value]) => actual[key] !== value)) {
      throw new MeshforkError('TOOL_FAILED', `the built image ${imageId} does not carry the labels meshfork wrote into its Dockerfile`, {
        hint: `compare \`docker image inspect ${imageId}\` with ${path.join(prepared.context, 'Dockerfile')}; the base image may set labels of its own`,
        details: { expected: prepared.labels, actual },
      });
    }
    const pushed: BuiltImage['pushed'] = [];
    for (const tag of options.pushTags ?? []) pushed.push({ tag, digest: await dockerPush(prepared.plan.docker, tag, options.onLine) });
    return { imageId, steps: counter.counts(), pushed };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
