import { afterEach, describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import { holdLease } from '../../harness/allocator/hold-lease.ts';
import { LeaseLostError } from '../../harness/allocator/types.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, sleep, spawnHolder, tempDir } from './helpers.ts';

afterEach(cleanup);

const boards = testBoards(['b1', 'b2']);
const [b1, b2] = boards as [(typeof boards)[0], (typeof boards)[0]];
const make = (stateDir: string, ttlSeconds = 2) => new FileAllocator({ stateDir, ttlSeconds, badAfter: 3, boards });

describe('a holder whose lease expired', () => {
  it('gets INFRA "lease lost" on renew once another took the board; renews fine if nobody did', async () => {
    const stateDir = tempDir();
    const slow = make(stateDir);
    const stolen = await slow.acquire({ candidates: [b1], owner: 'stalled-run', timeoutMs: 1000 });
    const kept = await slow.acquire({ candidates: [b2], owner: 'stalled-run', timeoutMs: 1000 });
    await sleep(2100); // both expire: no heartbeat ran

    const thief = make(stateDir);
    const taken = await thief.acquire({ candidates: [b1], owner: 'later-run', timeoutMs: 1000 });
    const err = await slow.renew(stolen).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((err as EdgecertError).outcome).toBe('INFRA');
    expect((err as Error).message).toMatch(/^lease lost on board b1: .*later-run/);
    expect((err as Error).message).not.toContain(taken.token);

    // Releasing a lost lease is a no-op: the new holder keeps the board.
    await slow.release(stolen);
    const [s1] = await thief.status();
    expect(s1).toMatchObject({ state: 'leased', owner: 'later-run' });

    const renewed = await slow.renew(kept);
    expect(renewed.expiresAt).toBeGreaterThan(Date.now() + 1500);
    await slow.release(renewed);
    await thief.release(taken);
  });
});

describe('kick', () => {
  it('frees the orphaned lease of a dead holder on another lab host before its TTL', async () => {
    const stateDir = tempDir();
    // on this host a dead holder's lease is reclaimed at once (expiry-and-signals.test.ts); from another, only a kick does
    const holder = spawnHolder('hold', { stateDir, ttlSeconds: 30, boards: ['b1'], owner: 'crashed-nightly' }, { EDGECERT_LEASE_HOST: 'other-lab-host' });
    await holder.next('holding');
    holder.child.kill('SIGKILL');
    await holder.exited;

    const alloc = make(stateDir, 30);
    await expect(alloc.acquire({ candidates: [b1], owner: 'pr-gate', timeoutMs: 500 })).rejects.toThrow(/crashed-nightly/);
    const dropped = await alloc.kick('b1');
    expect(dropped).toMatchObject({ owner: 'crashed-nightly' });
    expect(JSON.stringify(dropped)).not.toMatch(/token/);
    const t0 = performance.now();
    const lease = await alloc.acquire({ candidates: [b1], owner: 'pr-gate', timeoutMs: 500 });
    expect(performance.now() - t0).toBeLessThan(200);
    expect(await alloc.kick('b1')).toMatchObject({ owner: 'pr-gate' });
    expect(await alloc.kick('b1')).toBeNull();
    expect(lease.boardId).toBe('b1');
  });

  it('makes a live holder see its lease lost through the heartbeat', async () => {
    const stateDir = tempDir();
    const alloc = make(stateDir, 3);
    const lease = await alloc.acquire({ candidates: [b2], owner: 'kicked-run', timeoutMs: 1000 });
    const lost = new Promise<EdgecertError>((res) => holdLease(alloc, lease, alloc.ttlMs, { onLost: res }));
    await make(stateDir, 3).kick('b2');
    const err = await Promise.race([lost, sleep(2500).then(() => 'no onLost within 2.5 s')]);
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((err as Error).message).toMatch(/lease lost on board b2: the board was released or kicked/);
  });

  it('rejects unknown boards as USAGE', async () => {
    const err = await make(tempDir()).kick('nope').catch((e: unknown) => e);
    expect(err).toMatchObject({ outcome: 'USAGE' });
    expect((err as Error).message).toMatch(/unknown board "nope".*b1, b2/);
  });
});
