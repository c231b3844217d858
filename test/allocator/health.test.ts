import { afterEach, describe, expect, it } from 'vitest';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import type { BoardSpec } from '../../harness/inventory/schema.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, sleep, tempDir } from './helpers.ts';

afterEach(cleanup);

const boards = testBoards(['b1', 'b2']);
const [b1, b2] = boards as [BoardSpec, BoardSpec];
const make = (stateDir: string, ttlSeconds = 3) => new FileAllocator({ stateDir, ttlSeconds, badAfter: 2, boards });

/** A health check that records which boards it saw and answers per board. */
function checker(answers: Record<string, boolean | 'throw'>) {
  const seen: string[] = [];
  const check = async (b: BoardSpec): Promise<boolean> => {
    seen.push(b.id);
    const answer = answers[b.id] ?? true;
    if (answer === 'throw') throw new Error(`probe of ${b.id} blew up`);
    return answer;
  };
  return { seen, check };
}

async function health(alloc: FileAllocator, id: string) {
  return (await alloc.status()).find((s) => s.boardId === id);
}

describe('board health', () => {
  it('unknown -> health check -> good; infra -> unknown; a failed check picks another board; badAfter -> bad; reset', async () => {
    const alloc = make(tempDir());
    expect(await health(alloc, 'b1')).toMatchObject({ health: 'unknown', consecutiveInfra: 0 }); // never seen: checked first

    let hc = checker({});
    let lease = await alloc.acquire({ candidates: [b1], owner: 'run-1', timeoutMs: 1000, healthCheck: hc.check });
    expect(hc.seen).toEqual(['b1']);
    expect(await health(alloc, 'b1')).toMatchObject({ health: 'good', state: 'leased' });
    await alloc.release(lease);

    hc = checker({});
    lease = await alloc.acquire({ candidates: [b1], owner: 'run-2', timeoutMs: 1000, healthCheck: hc.check });
    expect(hc.seen).toEqual([]); // good boards are not re-checked
    await alloc.release(lease);

    expect(await alloc.recordOutcome('b1', 'infra')).toMatchObject({ health: 'unknown', consecutiveInfra: 1 });
    // b2 becomes the more recently used board, so b1 is tried first below.
    lease = await alloc.acquire({ candidates: [b2], owner: 'run-3', timeoutMs: 1000 });
    await alloc.release(lease);
    expect(await alloc.recordOutcome('b2', 'infra')).toMatchObject({ health: 'unknown', consecutiveInfra: 1 });

    hc = checker({ b1: false, b2: true });
    const held = await alloc.acquire({ candidates: [b1, b2], owner: 'run-4', timeoutMs: 1000, healthCheck: hc.check });
    expect(hc.seen).toEqual(['b1', 'b2']);
    expect(held.boardId).toBe('b2');
    expect(await health(alloc, 'b2')).toMatchObject({ health: 'good', consecutiveInfra: 0 });
    // The failed check was b1's second infra in a row: badAfter=2 makes it bad.
    expect(await health(alloc, 'b1')).toMatchObject({ health: 'bad', consecutiveInfra: 2, state: 'free' });

    // Bad is never handed out: with b2 busy the caller waits and is told why; with only b1 asked, it fails at once.
    await expect(alloc.acquire({ candidates: [b1, b2], owner: 'run-5', timeoutMs: 800 })).rejects.toThrow(
      /b1 is bad \(2 infra outcomes in a row.*boards reset b1.*b2 leased by run-4/,
    );
    const t0 = performance.now();
    await expect(alloc.acquire({ candidates: [b1], owner: 'run-5', timeoutMs: 10_000 })).rejects.toMatchObject({ outcome: 'INFRA' });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await alloc.recordOutcome('b1', 'ok')).toMatchObject({ health: 'bad' }); // only reset clears bad

    expect(await alloc.reset('b1')).toMatchObject({ health: 'unknown', consecutiveInfra: 0 });
    hc = checker({});
    lease = await alloc.acquire({ candidates: [b1], owner: 'run-6', timeoutMs: 1000, healthCheck: hc.check });
    expect(hc.seen).toEqual(['b1']);
    expect(await health(alloc, 'b1')).toMatchObject({ health: 'good', consecutiveInfra: 0 });
    await alloc.release(lease);
    await alloc.release(held);
  });

  it('a health check that throws counts as infra; without a check an unknown board is handed out as is', async () => {
    const alloc = make(tempDir());
    const hc = checker({ b1: 'throw' });
    const err = await alloc.acquire({ candidates: [b1], owner: 'run-1', timeoutMs: 5000, healthCheck: hc.check }).catch((e: unknown) => e);
    expect(err).toMatchObject({ outcome: 'INFRA' });
    expect((err as Error).message).toMatch(/b1 failed its health check/);
    expect(await health(alloc, 'b1')).toMatchObject({ health: 'unknown', consecutiveInfra: 1, state: 'free' });

    const lease = await alloc.acquire({ candidates: [b1], owner: 'run-2', timeoutMs: 1000 });
    expect(await health(alloc, 'b1')).toMatchObject({ health: 'unknown', state: 'leased' });
    await alloc.release(lease);
  });

  it('keeps the lease alive through a health check longer than the TTL', async () => {
    const stateDir = tempDir();
    const alloc = make(stateDir, 2);
    const rival = make(stateDir, 2);
    let rivalResult: unknown;
    const slowCheck = async () => {
      // Meanwhile another allocator tries for the same board and must not get it.
      rivalResult = await rival.acquire({ candidates: [b1], owner: 'rival', timeoutMs: 2200 }).catch((e: unknown) => e);
      await sleep(100);
      return true;
    };
    const lease = await alloc.acquire({ candidates: [b1], owner: 'checker', timeoutMs: 1000, healthCheck: slowCheck });
    expect(rivalResult).toMatchObject({ outcome: 'INFRA' });
    expect((rivalResult as Error).message).toMatch(/b1 leased by checker/);
    expect(lease.expiresAt).toBeGreaterThan(Date.now());
    await alloc.renew(lease);
    await alloc.release(lease);
  });
});
