import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLabInventory } from '../../lab/spec.ts';
import { labDown } from '../../lab/lab.ts';
import { REPO_DIR, boardPaths, netnsName } from '../../lab/netns/paths.ts';
import { boardLeftovers, labNetns, leftovers } from '../../lab/netns/sweep.ts';

// A `lab up` killed with SIGKILL writes no state at the end: down must still find and remove everything.
const root = process.getuid?.() === 0;
const BOARDS = ['vl-linux-1', 'vl-android-1', 'vl-oh-1'];

describe.skipIf(!root)('lab up killed with SIGKILL mid-way', () => {
  it('lab down afterwards leaves nothing', { timeout: 180_000 }, async () => {
    const inv = loadLabInventory(join(REPO_DIR, 'devices.yaml'));
    await labDown(inv, { boards: BOARDS });
    // logs of an earlier run would make the wait below end before the new run started
    for (const b of BOARDS) rmSync(boardPaths(inv.lab.stateDir, b).initLog, { force: true });
    const script = `import { runLabCommand } from './lab/cli.ts';\nawait runLabCommand([${BOARDS.map((b) => `'--board', '${b}'`).join(', ')}, 'up'], 'devices.yaml');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_DIR, stdio: 'ignore' });
    const initLog = boardPaths(inv.lab.stateDir, 'vl-oh-1').initLog;
    // mid-way: namespaces exist and the board inits are building roots and starting dockerds
    const deadline = Date.now() + 60_000;
    while (!(existsSync(`/run/netns/${netnsName('vl-oh-1')}`) && existsSync(initLog) && readFileSync(initLog, 'utf8').includes('starting board'))) {
      if (Date.now() > deadline) throw new Error('lab up never reached the board start');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const during = await boardLeftovers(inv.lab.stateDir, inv.boards.filter((b) => BOARDS.includes(b.id)).map((b) => ({ id: b.id, address: b.virtual!.address })));
    expect(during.netns.length).toBeGreaterThan(0);
    expect(during.processes.length).toBeGreaterThan(0);

    const left = await labDown(inv, { boards: BOARDS });
    const boards = inv.boards.filter((b) => BOARDS.includes(b.id)).map((b) => ({ id: b.id, address: b.virtual!.address }));
    expect(await boardLeftovers(inv.lab.stateDir, boards)).toEqual({ netns: [], links: [], cgroups: [], loops: [], mounts: [], processes: [] });
    // with no other netns board on the host, the bridge, endpoint and host rules are gone too
    if (!(await labNetns()).length) {
      expect(left).toEqual({ netns: [], links: [], cgroups: [], loops: [], iptables: [], mounts: [], processes: [], endpoint: false });
      expect((await leftovers(inv.lab.stateDir)).links).toEqual([]);
    }
  });
});
