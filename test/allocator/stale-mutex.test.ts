import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleMsFor } from '../../harness/allocator/board-mutex.ts';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, tempDir } from './helpers.ts';

afterEach(cleanup);

describe('state mutex left behind by a crashed updater', () => {
  it('is taken over once stale, so the board is not blocked for longer than the stale time', async () => {
    const stateDir = tempDir();
    const boards = testBoards(['b1']);
    const alloc = new FileAllocator({ stateDir, ttlSeconds: 3, badAfter: 3, boards });
    // What proper-lockfile leaves when its holder is SIGKILLed mid-update: the lock directory, never refreshed again.
    mkdirSync(join(stateDir, 'leases', 'b1.json.lock'), { recursive: true });
    const t0 = performance.now();
    const lease = await alloc.acquire({ candidates: boards, owner: 'after-crash', timeoutMs: 10_000 });
    const waited = performance.now() - t0;
    console.log(`stale state lock (stale after ${staleMsFor(3000)} ms) taken over after ${Math.round(waited)} ms`);
    expect(waited).toBeGreaterThanOrEqual(staleMsFor(3000) - 100);
    expect(waited).toBeLessThan(staleMsFor(3000) + 1500);
    await alloc.release(lease);
  });

  it('stale time follows the lease TTL within 2..10 s', () => {
    expect([3000, 30_000, 60_000, 3_600_000].map(staleMsFor)).toEqual([2000, 5000, 10_000, 10_000]);
  });
});
