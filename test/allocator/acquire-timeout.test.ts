import { afterEach, describe, expect, it } from 'vitest';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import { holdLease } from '../../harness/allocator/hold-lease.ts';
import { EdgecertError } from '../../harness/core/errors.ts';
import type { BoardSpec } from '../../harness/inventory/schema.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, tempDir } from './helpers.ts';

afterEach(cleanup);

const boards = testBoards(['b1', 'b2', 'b3']);
const [b1, b2, b3] = boards as [BoardSpec, BoardSpec, BoardSpec];

describe('acquire timeout', () => {
  it('reports progress while waiting and names the boards, their holders and health when giving up', async () => {
    const stateDir = tempDir();
    const make = () => new FileAllocator({ stateDir, ttlSeconds: 3, badAfter: 1, boards });
    const alice = make();
    const bob = make();
    const la = await alice.acquire({ candidates: [b1], owner: 'alice-nightly', timeoutMs: 1000 });
    const lb = await bob.acquire({ candidates: [b2], owner: 'bob-pr-42', timeoutMs: 1000 });
    const ha = holdLease(alice, la);
    const hb = holdLease(bob, lb);
    await make().recordOutcome('b3', 'infra');

    const progress: string[] = [];
    const t0 = performance.now();
    const err = await make()
      .acquire({ candidates: [b1, b2, b3], owner: 'carol-vendor', timeoutMs: 4000, onProgress: (m) => progress.push(m) })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    console.log(`acquire timeout 4000 ms gave up after ${Math.round(elapsed)} ms with ${progress.length} progress messages`);

    expect(err).toBeInstanceOf(EdgecertError);
    expect((err as EdgecertError).outcome).toBe('INFRA');
    const msg = (err as Error).message;
    expect(msg).toMatch(/^no board free for carol-vendor within 4 s: /);
    expect(msg).toMatch(/b1 leased by alice-nightly until \S+Z \(in \d+s\)/);
    expect(msg).toMatch(/b2 leased by bob-pr-42 until/);
    expect(msg).toMatch(/b3 is bad \(1 infra outcome in a row/);
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    expect(elapsed).toBeLessThan(5000);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatch(/waiting for a board .*alice-nightly.*bob-pr-42/);
    for (const text of [msg, ...progress]) {
      expect(text).not.toContain(la.token);
      expect(text).not.toContain(lb.token);
    }
    await Promise.all([ha.release(), hb.release()]);
  });
});
