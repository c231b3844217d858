import { createAllocator, formatStatus, holdLease, selectBoards } from '../allocator/index.ts';
import { usage } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { loadInventory } from '../inventory/load.ts';

const VERBS = 'status, reserve BOARD, release BOARD, kick BOARD, reset BOARD';

/** `edgecert boards [status] | reserve B | release B | kick B | reset B`: leases and health of any lab's boards. */
export async function boardsCommand(args: string[], inventory: string): Promise<number> {
  const [verb = 'status', ...rest] = args;
  const inv = loadInventory(inventory);
  const alloc = createAllocator(inv);
  switch (verb) {
    case 'status': {
      process.stdout.write(`${formatStatus(await alloc.status())}\n`);
      return 0;
    }
    case 'reserve': {
      // holds the board until interrupted: for hands-on debugging on a shared pool
      const id = need(rest[0], 'boards reserve BOARD');
      const [spec] = selectBoards(inv, { board: id });
      const lease = await alloc.acquire({ candidates: [spec!], owner: `reserved by ${process.env.USER ?? 'someone'} pid ${process.pid}`, timeoutMs: 10 * 60_000, onProgress: (m) => log.info(m) });
      holdLease(alloc, lease);
      process.stdout.write(`reserved ${id} until this command is interrupted (Ctrl-C releases it)\n`);
      await new Promise(() => undefined);
      return 0;
    }
    case 'release':
    case 'kick': {
      const id = need(rest[0], `boards ${verb} BOARD`);
      selectBoards(inv, { board: id });
      const dropped = await alloc.kick(id);
      process.stdout.write(dropped ? `dropped the lease of ${dropped.owner} on ${id}\n` : `${id} had no lease\n`);
      return 0;
    }
    case 'reset': {
      const id = need(rest[0], 'boards reset BOARD');
      selectBoards(inv, { board: id });
      const st = await alloc.reset(id);
      process.stdout.write(`${id}: health ${st.health}; the next lease runs a health check first\n`);
      return 0;
    }
    default:
      throw usage(`unknown boards command \`${verb}\`; use ${VERBS}`);
  }
}

function need(v: string | undefined, what: string): string {
  if (!v) throw usage(`usage: edgecert ${what}`);
  return v;
}
