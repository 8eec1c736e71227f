export { applyPatch, applySeries, patchStatus, worstStatus } from './apply';
export { MemoryTree, prefetchingReader } from './tree';
export type { FileReader, TreeChange } from './tree';
export * from './types';
