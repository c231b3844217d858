import { usage } from '../core/errors.ts';
import { loadInventory } from '../inventory/load.ts';

/** `edgecert lab up|down|status [--board B] | kubeconfig`: the virtual lab, test equipment apart from the boards' leases. */
export async function labCommand(args: string[], inventory: string): Promise<number> {
  const [verb, ...rest] = args;
  switch (verb) {
    case 'up':
    case 'down':
    case 'status': {
      const inv = loadInventory(inventory);
      if (!inv.boards.some((b) => b.virtual)) throw usage(`${inventory}: no virtual boards (\`virtual:\`): \`edgecert lab\` drives the virtual lab; \`edgecert boards\` shows any lab's leases`);
      const { runLabCommand } = await import('../virtual-lab/cli.ts');
      return runLabCommand([verb, ...rest], inventory);
    }
    case 'kubeconfig': {
      const path = loadInventory(inventory).boards.find((b) => b.cloud)?.cloud?.kubeconfig;
      if (!path) throw usage(`${inventory}: no board has a cloud binding with a kubeconfig`);
      process.stdout.write(`${path}\n`);
      return 0;
    }
    case 'reserve':
    case 'release':
    case 'kick':
    case 'reset':
      throw usage(`\`lab ${verb}\` is \`edgecert boards ${verb}\` now: leases and health belong to every lab, not only the virtual one`);
    default:
      throw usage(`unknown lab command \`${verb ?? ''}\`; use up, down, status, kubeconfig (leases: edgecert boards)`);
  }
}
