import { afterEach, describe, expect, it } from 'vitest';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, sleep, spawnHolder, tempDir } from './helpers.ts';

afterEach(cleanup);

const boards = testBoards(['b1']);

describe('a holder that dies', () => {
  it('SIGKILLed on another host: the board is free again once its lease expires, not before, within ttl + 2 s', async () => {
    const ttlSeconds = 2;
    const stateDir = tempDir();
    // a holder on another lab host: its pid cannot be judged here, only its lease's expiry counts
    const holder = spawnHolder('hold', { stateDir, ttlSeconds, boards: ['b1'], owner: 'doomed-holder' }, { EDGECERT_LEASE_HOST: 'other-lab-host' });
    const first = await holder.next('holding');
    const alloc = new FileAllocator({ stateDir, ttlSeconds, badAfter: 3, boards });
    await sleep(1500); // past two heartbeats (every ttl/3)
    const [renewed] = await alloc.status();
    expect(renewed?.owner).toBe('doomed-holder');
    expect(renewed?.expiresAt).toBeGreaterThan(first.expiresAt as number);

    const killedAt = Date.now();
    holder.child.kill('SIGKILL');
    await holder.exited;
    const [orphan] = await alloc.status();
    expect(orphan?.state).toBe('leased');

    const lease = await alloc.acquire({ candidates: boards, owner: 'survivor', timeoutMs: 10_000 });
    const waited = lease.acquiredAt - killedAt;
    console.log(`SIGKILLed holder on another host: board recovered ${waited} ms after the kill (ttl ${ttlSeconds * 1000} ms; lease ran to ${(orphan?.expiresAt as number) - killedAt} ms after the kill)`);
    expect(lease.acquiredAt).toBeGreaterThanOrEqual(orphan?.expiresAt as number);
    expect(waited).toBeLessThanOrEqual(ttlSeconds * 1000 + 2000);
    await alloc.release(lease);
  });

  it('SIGKILLed on this host: its pid is gone, so the board is free at once, long before the TTL', async () => {
    const ttlSeconds = 30;
    const stateDir = tempDir();
    const holder = spawnHolder('hold', { stateDir, ttlSeconds, boards: ['b1'], owner: 'doomed-local-holder' });
    await holder.next('holding');
    const alloc = new FileAllocator({ stateDir, ttlSeconds, badAfter: 3, boards });
    const [held] = await alloc.status();
    expect(held?.state).toBe('leased');
    const killedAt = Date.now();
    holder.child.kill('SIGKILL');
    await holder.exited;
    const [after] = await alloc.status();
    expect(after?.state).toBe('free');
    const lease = await alloc.acquire({ candidates: boards, owner: 'survivor', timeoutMs: 5_000 });
    const waited = lease.acquiredAt - killedAt;
    console.log(`SIGKILLed holder on this host: board recovered ${waited} ms after the kill (ttl ${ttlSeconds * 1000} ms)`);
    expect(waited).toBeLessThan(2_000);
    expect(lease.expiresAt - lease.acquiredAt).toBe(ttlSeconds * 1000);
    await alloc.release(lease);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal}: the holder releases at once and exits ${code}`, async () => {
      const ttlSeconds = 3;
      const stateDir = tempDir();
      const holder = spawnHolder('hold', { stateDir, ttlSeconds, boards: ['b1'], owner: `signalled-${signal}` });
      await holder.next('holding');
      const alloc = new FileAllocator({ stateDir, ttlSeconds, badAfter: 3, boards });
      const progress: string[] = [];
      const waiting = alloc.acquire({ candidates: boards, owner: 'next-in-line', timeoutMs: 10_000, onProgress: (m) => progress.push(m) });
      await sleep(300);
      expect(progress.join('\n')).toContain(`signalled-${signal}`); // it really was waiting for the holder

      const signalledAt = Date.now();
      holder.child.kill(signal);
      const lease = await waiting;
      const waited = lease.acquiredAt - signalledAt;
      console.log(`${signal}: board handed over ${waited} ms after the signal (ttl ${ttlSeconds * 1000} ms)`);
      expect(waited).toBeLessThan(1000);
      expect(await holder.exited).toEqual({ code, signal: null });
      await alloc.release(lease);
    });
  }

  it('leave-to-caller: a program with its own SIGTERM handler finishes its cleanup before the board is released', async () => {
    const stateDir = tempDir();
    const holder = spawnHolder('hold-own-signals', { stateDir, ttlSeconds: 3, boards: ['b1'], owner: 'own-handler', holdMs: 400 });
    await holder.next('holding');
    const alloc = new FileAllocator({ stateDir, ttlSeconds: 3, badAfter: 3, boards });
    const waiting = alloc.acquire({ candidates: boards, owner: 'next-in-line', timeoutMs: 10_000 });
    const signalledAt = Date.now();
    holder.child.kill('SIGTERM');
    const lease = await waiting;
    expect(holder.events.map((e) => e.event)).toContain('cleanup');
    expect(lease.acquiredAt - signalledAt).toBeGreaterThanOrEqual(400);
    expect(lease.acquiredAt - signalledAt).toBeLessThan(1500);
    expect(await holder.exited).toEqual({ code: 7, signal: null });
    await alloc.release(lease);
  });

  it('once nothing is held, SIGTERM terminates the process as usual', async () => {
    const holder = spawnHolder('released', { stateDir: tempDir(), ttlSeconds: 3, boards: ['b1'], owner: 'done' });
    await holder.next('idle');
    holder.child.kill('SIGTERM');
    expect(await holder.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });
});
