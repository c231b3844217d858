import lockfile from 'proper-lockfile';
import { infra } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { recordPath } from './board-record.ts';

/** proper-lockfile refuses anything shorter. */
const MIN_STALE_MS = 2000;

/**
 * How long a lock directory may go untouched before it counts as left by a dead process. The mutex is held for
 * milliseconds (proper-lockfile touches it every stale/2 meanwhile), so this only bounds how long a holder
 * SIGKILLed inside a state update blocks a board: small for short lease TTLs, at most 10 s.
 */
export function staleMsFor(ttlMs: number): number {
  return Math.min(10_000, Math.max(MIN_STALE_MS, Math.round(ttlMs / 6)));
}

export interface MutexHeld {
  /** Throws if proper-lockfile reported the lock compromised; checked right before a write becomes visible. */
  assertHeld(): void;
}

/**
 * Serialises read-modify-write of one board's state between processes of this host. Waits long enough to outlast a
 * stale lock, so a crashed updater delays others by at most `staleMs` instead of failing them.
 */
export async function withBoardMutex<T>(dir: string, boardId: string, staleMs: number, fn: (m: MutexHeld) => Promise<T>): Promise<T> {
  let compromised: Error | undefined;
  const lockfilePath = `${recordPath(dir, boardId)}.lock`;
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(recordPath(dir, boardId), {
      lockfilePath,
      realpath: false,
      stale: staleMs,
      retries: { retries: 10_000, minTimeout: 5, maxTimeout: 60, factor: 1.4, randomize: true, maxRetryTime: staleMs + 3000 },
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    throw infra(`state of board ${boardId} stayed locked by another edgecert process for over ${staleMs + 3000} ms (lock ${lockfilePath})`, {
      cause: err,
    });
  }
  try {
    return await fn({
      assertHeld: () => {
        if (compromised) throw infra(`lost the state lock of board ${boardId} mid-update (${compromised.message})`, { cause: compromised });
      },
    });
  } finally {
    await unlock().catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ERELEASED') log.warn(`unlocking state of board ${boardId}: ${(err as Error).message}`);
    });
  }
}
