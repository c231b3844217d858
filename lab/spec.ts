// What a board of the virtual lab says about itself in the inventory (`provision:`), validated by the lab, not by
// edgecert, which passes the block on unread. The lab's view of an inventory adds it to each board as `virtual`.
import { isAbsolute, resolve, dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { usage } from '../harness/core/errors.ts';
import { firstIssue, lineOf, loadInventory, readYamlFile, yamlPath } from '../harness/inventory/load.ts';
import type { BoardSpec, Inventory } from '../harness/inventory/schema.ts';

export const VirtualBoard = z.strictObject({
  kind: z.enum(['netns', 'qemu']),
  /** YAML file naming the defects injected into this board (see lab/DEFECTS.md); relative to the inventory */
  defects: z.string().min(1).optional(),
  /** lab-bridge address of the board, e.g. 10.77.0.11 */
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/, 'an IPv4 address').optional(),
});
export type VirtualBoard = z.infer<typeof VirtualBoard>;

export type LabBoard = BoardSpec & { virtual?: VirtualBoard };
export type LabInventory = Omit<Inventory, 'boards'> & { boards: LabBoard[] };

/** The inventory as edgecert loads it, each board's `provision:` block checked as the virtual lab's (file:line on error). */
export function loadLabInventory(file: string): LabInventory {
  const abs = resolve(file);
  const inv = loadInventory(abs);
  const { doc, counter } = readYamlFile(abs, 'inventory');
  const boards = inv.boards.map((b, i): LabBoard => {
    if (!b.provision) return b;
    const fail = (path: PropertyKey[], detail: string): never => {
      const yp = ['boards', i, 'provision', ...path];
      throw usage(`${abs}:${lineOf(doc, counter, yp) ?? '?'}: inventory at \`${yamlPath(yp)}\`: ${detail}`);
    };
    const parsed = VirtualBoard.safeParse(b.provision);
    if (!parsed.success) {
      const { path, detail } = firstIssue(parsed.error);
      return fail(path, detail);
    }
    const virtual = { ...parsed.data };
    if (virtual.defects) {
      virtual.defects = isAbsolute(virtual.defects) ? virtual.defects : resolve(dirname(abs), virtual.defects);
      if (!existsSync(virtual.defects)) fail(['defects'], `defects file ${virtual.defects} does not exist`);
    }
    return { ...b, virtual };
  });
  return { ...inv, boards };
}
