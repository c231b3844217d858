// The one seam between edgecert and whatever brings boards up (the virtual lab, a PDU script, a flashing rig): a
// command named in the inventory (`lab.provision.command`), run before the boards are leased. edgecert imports none
// of it; it reads back which boards came up.
import { dirname, resolve } from 'node:path';
import { execa } from 'execa';
import { z } from 'zod';
import { errorChain, infra } from './core/errors.ts';
import { log } from './core/log.ts';
import type { BoardSpec, Inventory } from './inventory/schema.ts';

/** What the command prints on stdout (its log goes to stderr): one entry per board it was asked for. */
export const ProvisionAnswer = z.object({
  boards: z.array(z.object({ id: z.string(), ok: z.boolean(), error: z.string().optional() })),
});
export type ProvisionAnswer = z.infer<typeof ProvisionAnswer>;

const PROVISION_TIMEOUT_MS = 30 * 60_000; // a first provisioning may build images (the virtual DAYU200: ~1 min here)

/** The command line (run in the inventory's directory, so relative paths are the inventory's): `node` is this Node.js. */
export function provisionArgv(inv: Inventory, invPath: string, boardIds: readonly string[]): string[] {
  const [file, ...args] = inv.lab.provision!.command;
  return [file === 'node' ? process.execPath : file!, ...args, '--inventory', resolve(invPath), ...boardIds.flatMap((id) => ['--board', id])];
}

/** Provision the boards that ask for it (`provision:`); returns why each board that did not come up failed. */
export async function provisionBoards(inv: Inventory, invPath: string, boards: readonly BoardSpec[]): Promise<Map<string, string>> {
  const ids = boards.filter((b) => b.provision).map((b) => b.id);
  if (!ids.length || !inv.lab.provision) return new Map();
  const [exe, ...args] = provisionArgv(inv, invPath, ids);
  log.info(`provisioning ${ids.join(', ')}: ${[exe, ...args].join(' ')}`);
  const all = (why: string) => new Map(ids.map((id) => [id, why]));
  try {
    const r = await execa(exe!, args, { cwd: dirname(invPath), reject: false, timeout: PROVISION_TIMEOUT_MS, stderr: 'inherit', stdin: 'ignore' });
    if (r.exitCode !== 0 || r.timedOut) return all(`the provision command ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}: ${String(r.stdout).trim().split('\n').at(-1)?.slice(0, 300) ?? ''}`);
    let answer: ProvisionAnswer;
    try {
      answer = ProvisionAnswer.parse(JSON.parse(String(r.stdout).trim().split('\n').at(-1) ?? ''));
    } catch (cause) {
      throw infra(`the provision command printed no answer ({"boards":[{"id","ok","error"}]} as its last stdout line)`, { cause });
    }
    const down = new Map(answer.boards.filter((b) => !b.ok && ids.includes(b.id)).map((b) => [b.id, b.error ?? 'the provisioner gave no reason']));
    for (const id of ids) if (!answer.boards.some((b) => b.id === id)) down.set(id, 'the provisioner did not report this board');
    return down;
  } catch (err) {
    log.error(`provisioning: ${errorChain(err)}`);
    return all(errorChain(err));
  }
}
