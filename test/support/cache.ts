/*
 * The one meshfork download cache every test and benchmark shares (git-ignored): each release is
 * fetched and unpacked into it once per checkout. Tests that need a cold, private or damaged cache
 * make their own in a temporary folder.
 */
import path from 'node:path';
import { REPO_ROOT } from './release';

export const SHARED_CACHE = path.join(REPO_ROOT, '.cache', 'meshfork');
