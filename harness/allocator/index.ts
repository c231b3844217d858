import type { Inventory } from '../inventory/schema.ts';
import { FileAllocator } from './file-backend.ts';
import type { Allocator } from './types.ts';

export type { AcquireRequest, Allocator, BoardState, DroppedLease, Health, Lease, RunOutcome } from './types.ts';
export { LeaseLostError } from './types.ts';
export { holdLease, type HeldLease, type HoldOptions } from './hold-lease.ts';
export { selectBoards, type BoardSelector } from './select.ts';
export { formatStatus } from './format.ts';
export { FileAllocator, type FileAllocatorOptions } from './file-backend.ts';

/** The allocator the inventory's lab asks for. */
export function createAllocator(inv: Inventory): Allocator {
  const { leases, stateDir } = inv.lab;
  switch (leases.backend) {
    case 'file':
      return new FileAllocator({ stateDir, ttlSeconds: leases.ttlSeconds, badAfter: leases.badAfter, boards: inv.boards });
  }
}
