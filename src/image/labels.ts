export interface LabelInput {
  upstreamVersion: string;
  upstreamIdentity: string; // as pinned in meshfork.lock.json
  seriesSha256: string;
  revision?: string;
  source?: string;
  licenses?: string;
  baseImage: string;
  created: Date;
}

export function shortSeries(seriesSha256: string): string {
  return seriesSha256.slice(0, 12);
}

export function imageLabels(input: LabelInput): Record<string, string> {
  const labels: Record<string, string> = {
    'io.meshfork.series.sha256': input.seriesSha256,
    'io.meshfork.upstream.identity': input.upstreamIdentity,
    'io.meshfork.upstream.version': input.upstreamVersion,
    'org.opencontainers.image.base.name': input.baseImage,
    'org.opencontainers.image.created': input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'org.opencontainers.image.title': 'MeshCentral with the meshfork patch series',
    'org.opencontainers.image.version': `${input.upstreamVersion}-${shortSeries(input.seriesSha256)}`,
  };
  if (input.revision) labels['org.opencontainers.image.revision'] = input.revision;
  if (input.source) labels['org.opencontainers.image.source'] = input.source;
  if (input.licenses) labels['org.opencontainers.image.licenses'] = input.licenses;
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** SOURCE_DATE_EPOCH (whole seconds since 1970) as a date, else now; a malformed value is undefined. */
export function creationDate(env: NodeJS.ProcessEnv, now: () => Date = () => new Date()): Date | undefined {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch === undefined || epoch === '') return now();
  return /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : undefined;
}
