/*
 * The one meshfork download cache every test and benchmark shares (git-ignored): each release is
 * fetched and unpacked into it once per checkout, and the unpacked releases of test/support/release.ts
 * are hard links into its blob store. Tests that need a cold, private or damaged cache make their own
 * in a temporary folder.
 */
export { SHARED_CACHE } from './release';
