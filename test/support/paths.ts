import * as path from 'node:path';

/** The repository root, from build/test/support/ (compiled) or test/support/ (source). */
export const repoRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}build${path.sep}`) ? '../../..' : '../..');
export const fixtureRoot = path.join(repoRoot, 'test', 'fixtures', 'pkg');
