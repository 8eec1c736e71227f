import { MeshforkError } from '../../src/errors';

/** The MeshforkError `fn` throws, or a failure when nothing (or something else) was thrown. */
export function errorOf(fn: () => unknown): MeshforkError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MeshforkError) return error;
    throw error;
  }
  throw new Error('expected a MeshforkError, nothing was thrown');
}

/** The MeshforkError `promise` rejects with, or a failure when it resolves (or rejects otherwise). */
export async function rejectionOf(promise: Promise<unknown>): Promise<MeshforkError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MeshforkError) return error;
    throw error;
  }
  throw new Error('expected a MeshforkError, nothing was thrown');
}
