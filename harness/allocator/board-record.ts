import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { holderGone } from './holder-identity.ts';
import type { BoardState } from './types.ts';

// The on-disk truth of one board under <stateDir>/leases/<boardId>.json; unknown keys are tolerated for newer writers.
const LeaseRecord = z.object({
  owner: z.string(),
  token: z.string(),
  acquiredAt: z.number(),
  expiresAt: z.number(),
  /** the holding process; absent in records of older writers (those expire by TTL only) */
  holder: z.object({ host: z.string(), pid: z.number().int(), start: z.string() }).optional(),
});

export const BoardRecord = z.object({
  boardId: z.string(),
  /** Bumped on every write; a writer that finds it changed under it gives up instead of overwriting. */
  rev: z.number().int().nonnegative(),
  lease: LeaseRecord.nullable(),
  health: z.enum(['good', 'unknown', 'bad']),
  consecutiveInfra: z.number().int().nonnegative(),
  lastAcquiredAt: z.number().optional(),
});
export type BoardRecord = z.infer<typeof BoardRecord>;

/** A board never seen before is of unknown health, so its first lease health-checks it. */
export function freshRecord(boardId: string): BoardRecord {
  return { boardId, rev: 0, lease: null, health: 'unknown', consecutiveInfra: 0 };
}

export const recordPath = (dir: string, boardId: string): string => join(dir, `${boardId}.json`);

export interface ReadRecord {
  rec: BoardRecord;
  /** Set when the file could not be understood; the board is then treated as bad until reset. */
  note?: string;
}

export async function readRecord(dir: string, boardId: string): Promise<ReadRecord> {
  const path = recordPath(dir, boardId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rec: freshRecord(boardId) };
    throw err;
  }
  let parsed: ReturnType<typeof BoardRecord.safeParse>;
  try {
    parsed = BoardRecord.safeParse(JSON.parse(text));
  } catch (err) {
    return unreadable(boardId, path, (err as Error).message);
  }
  if (!parsed.success || parsed.data.boardId !== boardId) {
    return unreadable(boardId, path, parsed.success ? `names board ${parsed.data.boardId}` : parsed.error.message);
  }
  return { rec: parsed.data };
}

// A mangled state file must not hand a possibly-leased board out; it is fenced as bad until an operator resets it.
function unreadable(boardId: string, path: string, why: string): ReadRecord {
  return {
    rec: { ...freshRecord(boardId), health: 'bad' },
    note: `state file ${path} unreadable (${why.split('\n')[0]}); \`edgecert boards reset ${boardId}\` rewrites it`,
  };
}

/** Held: not expired, and not held by a process of this host that is gone (a SIGKILLed run frees its board at once). */
export function isLeased(rec: BoardRecord, now: number): boolean {
  return rec.lease !== null && rec.lease.expiresAt > now && !holderGone(rec.lease.holder);
}

export function toBoardState(read: ReadRecord, now: number): BoardState {
  const { rec, note } = read;
  const state: BoardState = {
    boardId: rec.boardId,
    state: isLeased(rec, now) ? 'leased' : 'free',
    health: rec.health,
    consecutiveInfra: rec.consecutiveInfra,
  };
  if (state.state === 'leased' && rec.lease) {
    state.owner = rec.lease.owner;
    state.acquiredAt = rec.lease.acquiredAt;
    state.expiresAt = rec.lease.expiresAt;
  }
  if (rec.lastAcquiredAt !== undefined) state.lastAcquiredAt = rec.lastAcquiredAt;
  if (note !== undefined) state.note = note;
  return state;
}
