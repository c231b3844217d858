// The defect lab's inventory is generated from its defect files: one source for each board, checked for drift here.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFECT_LAB_DIR, DEFECT_LAB_INVENTORY, defectLabBoards, defectLabInventoryText } from '../../lab/defect-lab/inventory.ts';
import { loadLabInventory } from '../../lab/spec.ts';

describe('defect lab inventory', () => {
  it('lab/defect-lab/devices.yaml is what its defect files generate (npx edgecert-lab defect-lab --write)', () => {
    expect(readFileSync(DEFECT_LAB_INVENTORY, 'utf8')).toBe(defectLabInventoryText());
  });

  it('one board per defect file, each id and address once, and it loads as the lab reads it', () => {
    const files = readdirSync(join(DEFECT_LAB_DIR, 'defects')).filter((f) => f.endsWith('.yaml'));
    const boards = defectLabBoards() as { id: string; provision: { address?: string; defects: string } }[];
    expect(boards.map((b) => b.provision.defects.replace('defects/', '')).sort()).toEqual(files.sort());
    expect(new Set(boards.map((b) => b.id)).size).toBe(boards.length);
    const addresses = boards.map((b) => b.provision.address).filter(Boolean);
    expect(new Set(addresses).size).toBe(addresses.length);
    const inv = loadLabInventory(DEFECT_LAB_INVENTORY);
    expect(inv.boards.every((b) => b.virtual?.defects?.startsWith(join(DEFECT_LAB_DIR, 'defects')))).toBe(true);
  });
});
