// Several lab processes may build or boot at once (CI, a developer's `lab up`): one holder per cache or board.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { infra } from '../../harness/core/errors.ts';

export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      lockfilePath: path,
      stale: 30_000,
      retries: { retries: Math.ceil(timeoutMs / 1000), factor: 1, minTimeout: 1000, maxTimeout: 1000 },
    });
  } catch (cause) {
    throw infra(`could not take lock ${path} within ${timeoutMs} ms`, { cause });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
