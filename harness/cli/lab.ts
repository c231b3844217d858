import { createAllocator, formatStatus, holdLease, selectBoards } from '../allocator/index.ts';
import { usage } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { loadInventory } from '../inventory/load.ts';

/** `edgecert lab status|reserve|release|kick|reset|up|down|kubeconfig`. */
export async function labCommand(args: string[], inventory: string): Promise<number> {
  const [verb, ...rest] = args;
  const inv = loadInventory(inventory);
  const alloc = createAllocator(inv);
  switch (verb) {
    case 'status': {
      process.stdout.write(`${formatStatus(await alloc.status())}\n`);
      if (inv.boards.some((b) => b.virtual)) {
        const { runLabCommand } = await import('../virtual-lab/cli.ts');
        return runLabCommand(['status', ...rest], inventory);
      }
      return 0;
    }
    case 'up':
    case 'down': {
      const { runLabCommand } = await import('../virtual-lab/cli.ts');
      return runLabCommand([verb, ...rest], inventory);
    }
    case 'kubeconfig': {
      const path = inv.boards.find((b) => b.cloud)?.cloud?.kubeconfig;
      if (!path) throw usage(`${inventory}: no board has a cloud binding with a kubeconfig`);
      process.stdout.write(`${path}\n`);
      return 0;
    }
    case 'reserve': {
      // holds the board until interrupted: for hands-on debugging on a shared pool
      const id = need(rest[0], 'lab reserve BOARD');
      const [spec] = selectBoards(inv, { board: id });
      const lease = await alloc.acquire({ candidates: [spec!], owner: `reserved by ${process.env.USER ?? 'someone'} pid ${process.pid}`, timeoutMs: 10 * 60_000, onProgress: (m) => log.info(m) });
      holdLease(alloc, lease);
      process.stdout.write(`reserved ${id} until this command is interrupted (Ctrl-C releases it)\n`);
      await new Promise(() => undefined);
      return 0;
    }
    case 'release':
    case 'kick': {
      const id = need(rest[0], `lab ${verb} BOARD`);
      selectBoards(inv, { board: id });
      const dropped = await alloc.kick(id);
      process.stdout.write(dropped ? `dropped the lease of ${dropped.owner} on ${id}\n` : `${id} had no lease\n`);
      return 0;
    }
    case 'reset': {
      const id = need(rest[0], 'lab reset BOARD');
      selectBoards(inv, { board: id });
      const st = await alloc.reset(id);
      process.stdout.write(`${id}: health ${st.health}; the next lease runs a health check first\n`);
      return 0;
    }
    default:
      throw usage(`unknown lab command \`${verb ?? ''}\`; use status, up, down, reserve, release, kick, reset, kubeconfig`);
  }
}

function need(v: string | undefined, what: string): string {
  if (!v) throw usage(`usage: edgecert ${what}`);
  return v;
}
