import type { BuildResult } from '../../commands/build';
import { withExamples } from '../help';
import { makeStyle, type Style } from '../style';
import type { Registrar } from '../context';

interface BuildFlags {
  to?: string;
  tag: string[];
  baseImage?: string;
  push?: boolean;
  contextOnly?: string;
  force?: boolean;
  caFile?: string;
  network?: string;
  cache: boolean;
  frozenLock?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildText(result: BuildResult, style: Style): string {
  const lines = [
    `meshcentral ${result.upstream.version} (${result.upstream.identity}) + ${result.series.patches} patches (series ${result.series.sha256.slice(0, 12)}) on ${result.baseImage}`,
  ];
  if (result.depsLock.updated) lines.push(style.yellow(`wrote ${result.depsLock.file}: the dependencies changed; commit it`));
  if (!result.built) {
    lines.push(`${style.bold(result.context)}: build context written; build it with ${result.context}/build.sh or:`);
    lines.push(`  DOCKER_BUILDKIT=1 ${result.buildCommand.join(' ')}`);
    return lines.join('\n');
  }
  if (result.steps) lines.push(`built ${result.imageId} (${result.steps.total} steps, ${result.steps.cached} from cache)`);
  for (const tag of result.tags) {
    const pushed = result.pushed.find((p) => p.tag === tag);
    lines.push(`  ${style.bold(tag)}${pushed ? `  pushed ${pushed.digest}` : ''}`);
  }
  return lines.join('\n');
}

const EXIT_CODES = `
Exit codes:
  0  built (and pushed), or the context written
  1  the series does not apply to the release cleanly (see meshfork sync check)
  2  usage (--push with no --tag and no registry in image.repository), config, series, unknown version, lock file out of date with --frozen-lock, DIR exists,
     no render-config.js in the project's image.assets folder (IMAGE_ASSETS_MISSING)
  4  docker missing or failing (the build's own errors are in its output), npm registry unreachable
`;

/** `meshfork build`: the deployable image of an upstream release plus the series. */
export const registerBuild: Registrar = (program, dispatch) => {
  const cmd = program
    .command('build')
    .description(
      "build the deployable Docker image: an upstream release plus the series, its dependencies, meshfork's entrypoint, the project's image assets (image.assets) and labels",
    )
    .option('--to <version>', 'upstream release (default: the base in meshfork.config.json)')
    .option('--tag <tag>', 'another tag besides <image.repository>:<image.tag> (repeatable)', collect, [])
    .option(
      '--base-image <image>',
      'base image with node and useradd (default: image.baseImage, else node:<image.nodeVersion>-bookworm-slim)',
    )
    .option('--push', 'push the --tag tags (none given: the default tag, if image.repository names a registry) and report the digest')
    .option('--context-only <dir>', 'write the build context and its build command (build.sh) into DIR instead of building')
    .option('--force', 'replace the --context-only DIR if it exists')
    .option(
      '--ca-file <file>',
      'PEM bundle npm needs to reach the registry, passed as the build secret "ca" (default: $NODE_EXTRA_CA_CERTS; "" for none)',
    )
    .option('--network <mode>', 'network of the build steps (docker build --network), e.g. host')
    .option('--no-cache', 'build every layer again (docker build --no-cache)')
    .option('--frozen-lock', 'fail instead of refreshing the dependency lock file (image.lockFile) when it is out of date')
    .action((flags: BuildFlags) =>
      dispatch(async (globals) => {
        const { build } = await import('../../commands/build');
        const stream = !globals.json && !globals.quiet;
        const result = await build({
          cwd: globals.cwd,
          configFile: globals.config,
          to: flags.to,
          tags: flags.tag,
          baseImage: flags.baseImage,
          push: flags.push,
          contextOnly: flags.contextOnly,
          force: flags.force,
          caFile: flags.caFile,
          network: flags.network,
          noCache: !flags.cache,
          frozenLock: flags.frozenLock,
          onOutput: stream ? (line) => process.stderr.write(`${line}\n`) : undefined,
          progress: globals.progress,
        });
        return { exitCode: 0, json: result, text: buildText(result, makeStyle(globals.color)) };
      }),
    );
  withExamples(cmd, [
    'meshfork build',
    'meshfork build --to 1.1.56 --tag ghcr.io/OWNER/meshcentral:1.1.56-jwt.1 --push',
    'meshfork build --base-image localhost/bookworm-node:18 --network host',
    'meshfork build --context-only build/image   # then: build/image/build.sh, or kaniko/remote BuildKit',
    'meshfork --json build | jq -r .imageId',
  ]);
  cmd.addHelpText('after', EXIT_CODES);
};
