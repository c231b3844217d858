import { usageError } from '../helpers/usage-error.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { createAllocator } from '../../harness/allocator/index.ts';
import { FileAllocator } from '../../harness/allocator/file-backend.ts';
import { formatStatus } from '../../harness/allocator/format.ts';
import { selectBoards } from '../../harness/allocator/select.ts';
import { Inventory } from '../../harness/inventory/schema.ts';
import { testBoards } from './fixtures/boards.ts';
import { cleanup, tempDir } from './helpers.ts';

afterEach(cleanup);

const inv = Inventory.parse({
  apiVersion: 'edgecert/v1',
  lab: { name: 'test-lab', stateDir: '/nonexistent' },
  boards: [
    ...testBoards(['rk-1'], { pools: ['conformant'], tags: ['rk3568'], features: ['gpu'] }),
    ...testBoards(['rk-2'], { pools: ['conformant', 'nightly'], tags: ['rk3568', 'dayu200'], features: [] }),
    ...testBoards(['pi-1'], { pools: ['nightly'], tags: ['rpi'], features: ['gpu'] }),
  ],
});

const ids = (sel: Parameters<typeof selectBoards>[1]) => selectBoards(inv, sel).map((b) => b.id);

describe('selectBoards', () => {
  it('filters by pool, board, tags and features (all must match)', () => {
    expect(ids({})).toEqual(['rk-1', 'rk-2', 'pi-1']);
    expect(ids({ pool: 'nightly' })).toEqual(['rk-2', 'pi-1']);
    expect(ids({ tags: ['rk3568'] })).toEqual(['rk-1', 'rk-2']);
    expect(ids({ tags: ['rk3568', 'dayu200'] })).toEqual(['rk-2']);
    expect(ids({ features: ['gpu'], pool: 'nightly' })).toEqual(['pi-1']);
    expect(ids({ board: 'rk-1' })).toEqual(['rk-1']);
  });

  it('an unknown board id is USAGE naming it and the boards that exist', () => {
    const e = usageError(() => selectBoards(inv, { board: 'rk-9' }));
    expect(e.message).toBe('unknown board "rk-9"; boards in the inventory: rk-1, rk-2, pi-1');
  });

  it('an empty selection is USAGE naming the criteria and what exists', () => {
    let e = usageError(() => selectBoards(inv, { pool: 'vendor' }));
    expect(e.message).toMatch(/^no board matches pool=vendor; the inventory has pools: conformant, nightly; tags: dayu200, rk3568, rpi; features: gpu; boards: rk-1 \[pools: conformant; tags: rk3568; features: gpu\]/);
    e = usageError(() => selectBoards(inv, { board: 'pi-1', tags: ['rk3568'] }));
    expect(e.message).toMatch(/^no board matches board=pi-1 tags=rk3568;/);
  });
});

describe('formatStatus and createAllocator', () => {
  it('prints a table without tokens, from the allocator the inventory asks for', async () => {
    const stateDir = tempDir();
    const alloc = createAllocator({ ...inv, lab: { ...inv.lab, stateDir, leases: { backend: 'file', ttlSeconds: 30, badAfter: 1 } } });
    expect(alloc).toBeInstanceOf(FileAllocator);
    expect(alloc.ttlMs).toBe(30_000);
    const rk1 = inv.boards[0]!;
    const lease = await alloc.acquire({ candidates: [rk1], owner: 'nightly pid 4242', timeoutMs: 1000 });
    await alloc.recordOutcome('pi-1', 'infra');
    const states = await alloc.status();
    expect(JSON.stringify(states)).not.toContain(lease.token);

    const text = formatStatus(states, lease.acquiredAt);
    expect(text).not.toContain(lease.token);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^BOARD\s+STATE\s+OWNER\s+EXPIRES\s+HEALTH\s+INFRA\s+LAST ACQUIRED$/);
    expect(lines[1]).toMatch(/^rk-1\s+leased\s+nightly pid 4242\s+\S+Z \(in 30s\)\s+unknown\s+0\s+\S+Z$/);
    expect(lines[2]).toMatch(/^rk-2\s+free\s+-\s+-\s+unknown\s+0\s+never$/);
    expect(lines[3]).toMatch(/^pi-1\s+free\s+-\s+-\s+bad\s+1\s+never$/);
    await alloc.release(lease);
  });
});
