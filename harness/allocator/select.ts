import { usage } from '../core/errors.ts';
import type { BoardSpec, Inventory } from '../inventory/schema.ts';

export interface BoardSelector {
  pool?: string;
  board?: string;
  /** Every tag must be present. */
  tags?: string[];
  /** Every feature must be present. */
  features?: string[];
}

/** Boards of the inventory matching every given criterion; none given means all boards. */
export function selectBoards(inv: Inventory, sel: BoardSelector): BoardSpec[] {
  if (sel.board !== undefined && !inv.boards.some((b) => b.id === sel.board)) {
    throw usage(`unknown board "${sel.board}"; boards in the inventory: ${inv.boards.map((b) => b.id).join(', ')}`);
  }
  const tags = sel.tags ?? [];
  const features = sel.features ?? [];
  const picked = inv.boards.filter(
    (b) =>
      (sel.board === undefined || b.id === sel.board) &&
      (sel.pool === undefined || b.pools.includes(sel.pool)) &&
      tags.every((t) => b.tags.includes(t)) &&
      features.every((f) => b.features.includes(f)),
  );
  if (picked.length === 0) {
    throw usage(`no board matches ${describeSelector(sel)}; the inventory has ${describeInventory(inv.boards)}`);
  }
  return picked;
}

function describeSelector(sel: BoardSelector): string {
  const parts: string[] = [];
  if (sel.board !== undefined) parts.push(`board=${sel.board}`);
  if (sel.pool !== undefined) parts.push(`pool=${sel.pool}`);
  if (sel.tags?.length) parts.push(`tags=${sel.tags.join(',')}`);
  if (sel.features?.length) parts.push(`features=${sel.features.join(',')}`);
  return parts.join(' ') || '(no criteria)';
}

function describeInventory(boards: BoardSpec[]): string {
  const union = (pick: (b: BoardSpec) => string[]) => [...new Set(boards.flatMap(pick))].sort().join(', ') || '(none)';
  const perBoard = boards.map(
    (b) => `${b.id} [pools: ${b.pools.join(',') || '-'}; tags: ${b.tags.join(',') || '-'}; features: ${b.features.join(',') || '-'}]`,
  );
  return `pools: ${union((b) => b.pools)}; tags: ${union((b) => b.tags)}; features: ${union((b) => b.features)}; boards: ${perBoard.join('; ')}`;
}
