/* The differing-lines search lives in the engine (it runs on the file as each patch finds it); reports reuse it. */
export { classifyDifference, differingLine, locateDifferingLines } from '../engine/differingLines';
