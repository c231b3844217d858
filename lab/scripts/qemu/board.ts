// Manual and CI entry point for the qemu board: `build` pre-warms the cache (host set-up); up/down/status act on
// a devices.yaml board. Usage: board.ts build | up|down|status [--board ID] [--pubkey FILE] [--defects FILE] [--devices FILE]
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { errorChain, EdgecertError } from '../../../harness/core/errors.ts';
import { Inventory } from '../../../harness/inventory/schema.ts';
import { loadDefects } from '../../defects.ts';
import { ensureQemuArtefacts, qemuBoardDown, qemuBoardStatus, qemuBoardUp } from '../../qemu/index.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    board: { type: 'string', default: 'vl-dayu200-1' },
    devices: { type: 'string', default: resolve(dirname(new URL(import.meta.url).pathname), '../../../devices.yaml') },
    pubkey: { type: 'string' },
    defects: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const cmd = positionals[0];
  if (cmd === 'build') {
    const t = performance.now();
    const a = await ensureQemuArtefacts();
    const packages = a.packages.map((p) => `${p.name}=${p.version}`);
    console.log(JSON.stringify({ ...a, packages, callMs: Math.round(performance.now() - t) }, null, 2));
    return;
  }
  const inv = Inventory.parse(parse(readFileSync(values.devices, 'utf8')));
  const board = inv.boards.find((b) => b.id === values.board);
  if (!board) throw new Error(`no board ${values.board} in ${values.devices}`);
  const stateDir = inv.lab.stateDir;
  if (cmd === 'up') {
    const keyPath = board.transport.type === 'ssh' ? board.transport.keyPath : '';
    const authorizedKey = readFileSync(values.pubkey ?? `${keyPath}.pub`, 'utf8');
    const defects = values.defects ? loadDefects(values.defects, 'qemu') : [];
    console.log(JSON.stringify(await qemuBoardUp(board, { stateDir, defects, authorizedKey }), null, 2));
  } else if (cmd === 'down') {
    await qemuBoardDown(board, { stateDir });
  } else if (cmd === 'status') {
    console.log(JSON.stringify(await qemuBoardStatus(board, { stateDir }), null, 2));
  } else {
    throw new Error('usage: board.ts build | up|down|status [--board ID] [--pubkey FILE] [--defects FILE] [--devices FILE]');
  }
}

main().catch((err) => {
  console.error(errorChain(err));
  if (err instanceof EdgecertError) for (const [k, v] of Object.entries(err.evidence)) console.error(`--- ${k}\n${v}`);
  process.exit(2);
});
