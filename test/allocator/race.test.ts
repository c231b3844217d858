import { afterEach, describe, expect, it } from 'vitest';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, spawnHolder, tempDir } from './helpers.ts';

afterEach(cleanup);

const BOARDS = ['b1', 'b2', 'b3'];

describe('six processes racing for three boards', () => {
  it('never double-books a board and uses every board', async () => {
    const stateDir = tempDir();
    const markerDir = tempDir('edgecert-markers-');
    const rounds = 6;
    const t0 = performance.now();
    const holders = Array.from({ length: 6 }, (_, i) =>
      spawnHolder('race', { stateDir, markerDir, ttlSeconds: 2, boards: BOARDS, owner: `racer-${i}`, rounds, holdMs: 150 }),
    );
    const exits = await Promise.all(holders.map((h) => h.exited));
    console.log(`race: 6 processes x ${rounds} leases on 3 boards in ${Math.round(performance.now() - t0)} ms`);

    const all = holders.flatMap((h) => h.events);
    expect(all.filter((e) => e.event === 'double')).toEqual([]);
    expect(exits.map((e) => e.code), holders.map((h) => h.stderr()).join('\n')).toEqual([0, 0, 0, 0, 0, 0]);
    const used = all.filter((e) => e.event === 'used');
    expect(used).toHaveLength(6 * rounds);
    expect(new Set(used.map((e) => e.board))).toEqual(new Set(BOARDS));

    const status = await new FileAllocator({ stateDir, ttlSeconds: 2, badAfter: 3, boards: testBoards(BOARDS) }).status();
    expect(status.map((s) => s.state)).toEqual(['free', 'free', 'free']);
  });

  it('control: the same markers without the allocator do detect sharing', async () => {
    const markerDir = tempDir('edgecert-markers-');
    const cfg = { stateDir: tempDir(), markerDir, ttlSeconds: 2, boards: ['b1'], rounds: 20, holdMs: 100 };
    const holders = [spawnHolder('unsafe', { ...cfg, owner: 'u1' }), spawnHolder('unsafe', { ...cfg, owner: 'u2' })];
    await Promise.all(holders.map((h) => h.exited));
    expect(holders.flatMap((h) => h.events).some((e) => e.event === 'double')).toBe(true);
  });
});
