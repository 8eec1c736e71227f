import { dockerBuildArgs, type DockerBuildOptions } from '../tools/docker';
import { shellQuote } from '../util/shellQuote';

/** The exact `docker build` a context is built with, as argv and as a shell script for other builders. */
export interface BuildPlan {
  docker: string;
  args: string[];
  script: string; // build.sh, run from inside the context folder
  options: Omit<DockerBuildOptions, 'iidFile' | 'onLine' | 'outputShown'>;
}

export function buildPlan(options: {
  docker: string;
  context: string;
  tags: string[];
  caFile?: string;
  network?: string;
  noCache?: boolean;
}): BuildPlan {
  const secrets = options.caFile ? [{ id: 'ca', src: options.caFile }] : [];
  const common = { tags: options.tags, secrets, network: options.network, noCache: options.noCache };
  const args = dockerBuildArgs({ ...common, context: options.context });
  const scriptArgs = dockerBuildArgs({ ...common, context: '.' });
  const script = [
    '#!/bin/sh',
    '# Written by `meshfork build`: builds this folder into the image, with BuildKit (the CA is a build secret).',
    'set -e',
    'cd "$(dirname "$0")"',
    `DOCKER_BUILDKIT=1 exec ${[options.docker, ...scriptArgs].map(shellQuote).join(' ')} "$@"`,
    '',
  ].join('\n');
  return { docker: options.docker, args, script, options: { ...common, context: options.context } };
}
