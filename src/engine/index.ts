export { applyPatch, applySeries, patchStatus, worstStatus } from './apply';
export { MemoryTree, permissionsOf, prefetchingReader } from './tree';
export type { FileReader, ModeOrigin, TreeChange } from './tree';
export * from './types';
