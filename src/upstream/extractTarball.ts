import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import tar from 'tar';
import { MeshforkError } from '../errors';
import { unsafePathReason } from '../series/pathSafety';
import type { ProgressSink } from '../util/progress';
import type { BlobMode, BlobStore } from './blobStore';
import type { ManifestEntry } from './manifest';

const MAX_PENDING_BYTES = 64 * 1024 * 1024;

interface TarEntry extends NodeJS.ReadableStream {
  path: string;
  type: string;
  mode?: number;
  linkpath?: string;
  resume(): this;
}

/** Files and symlinks under "package/", with their modes; nothing touches the disk but verified blobs. */
export async function extractTarball(
  tarball: string,
  blobs: BlobStore,
  progress: ProgressSink,
  label: string,
): Promise<Record<string, ManifestEntry>> {
  const files: Record<string, ManifestEntry> = {};
  const writes: Promise<void>[] = [];
  let pendingBytes = 0;
  let resumeInput = (): void => undefined;
  let problem: Error | undefined;
  const { size } = await fs.stat(tarball);
  progress.start(label, size);
  const parser = new tar.Parse({
    strict: true,
    onentry: (raw) => {
      const entry = raw as unknown as TarEntry;
      const relative = entry.path.split('/').slice(1).join('/').replace(/\/+$/, '');
      const isFile = entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile';
      const isLink = entry.type === 'SymbolicLink';
      if ((!isFile && !isLink) || relative === '') {
        entry.resume();
        return;
      }
      const reason = unsafePathReason(relative);
      if (reason) {
        problem ??= new MeshforkError('INTEGRITY_MISMATCH', `${tarball}: entry "${entry.path}" is unsafe (${reason})`, {
          hint: 'this tarball cannot be used; report it upstream',
        });
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        const content = isLink ? Buffer.from(entry.linkpath ?? '', 'utf8') : Buffer.concat(chunks);
        const mode: BlobMode = isLink ? '120000' : (entry.mode ?? 0o644) & 0o111 ? '100755' : '100644';
        pendingBytes += content.length;
        writes.push(
          blobs.put(content, mode).then((hash) => {
            files[relative] = { hash, size: content.length, mode };
            pendingBytes -= content.length;
            if (pendingBytes <= MAX_PENDING_BYTES) resumeInput();
          }),
        );
      });
    },
  });
  // node's zlib stream runs gunzip on the thread pool, beside parsing and hashing (tar's own inflate would block).
  const compressed = createReadStream(tarball, { highWaterMark: 1 << 20 });
  const input = compressed.pipe(createGunzip({ chunkSize: 1 << 20 }));
  resumeInput = () => input.resume();
  await new Promise<void>((resolve, reject) => {
    let done = 0;
    compressed.on('data', (chunk) => {
      done += chunk.length;
      progress.advance(done);
    });
    input.on('data', (chunk) => {
      parser.write(chunk as Buffer);
      if (pendingBytes > MAX_PENDING_BYTES) input.pause();
    });
    input.on('end', () => parser.end());
    compressed.on('error', reject);
    input.on('error', (error: Error) =>
      reject(new MeshforkError('INTEGRITY_MISMATCH', `${tarball}: not a valid gzip file: ${error.message}`, { cause: error })),
    );
    (parser as unknown as NodeJS.EventEmitter).on('error', (error: Error) =>
      reject(new MeshforkError('INTEGRITY_MISMATCH', `${tarball}: not a valid tarball: ${error.message}`, { cause: error })),
    );
    parser.on('end', () => resolve());
  }).finally(() => progress.finish());
  await Promise.all(writes);
  if (problem) throw problem;
  return files;
}
