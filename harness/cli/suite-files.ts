import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITES, type SuiteName } from '../check/meta.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SUITES_DIR = join(REPO_ROOT, 'suites');

/** Suite files in catalogue order (kernel first, budgets last), only those that exist. */
export function suiteFiles(names: readonly string[] = SUITES): { suite: SuiteName; file: string }[] {
  return SUITES.filter((s) => names.includes(s))
    .map((s) => ({ suite: s, file: join(SUITES_DIR, `${s}.check.ts`) }))
    .filter((s) => existsSync(s.file));
}
