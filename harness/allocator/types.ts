import { EdgecertError } from '../core/errors.ts';
import type { BoardSpec } from '../inventory/schema.ts';

// The allocator contract is backend-neutral so a coordination.k8s.io Lease backend can replace the file one for many hosts.

/** Health is kept apart from lease state: a free board can be bad, a leased one good. */
export type Health = 'good' | 'unknown' | 'bad';

/** What one run reports back about a board: `infra` when the lab (not the board under test) failed. */
export type RunOutcome = 'ok' | 'infra';

/** Proof of holding a board. Times are ms since the Unix epoch (wall clock shared by every process of the lab host). */
export interface Lease {
  readonly boardId: string;
  readonly owner: string;
  /** Random per acquisition; renew/release must present it. Never printed (registered for redaction). */
  readonly token: string;
  readonly acquiredAt: number;
  readonly expiresAt: number;
}

/** One board as `edgecert boards` shows it; carries no token. */
export interface BoardState {
  boardId: string;
  state: 'free' | 'leased';
  /** Set while leased. */
  owner?: string;
  acquiredAt?: number;
  expiresAt?: number;
  health: Health;
  consecutiveInfra: number;
  /** Last acquisition, for least-recently-used choice. */
  lastAcquiredAt?: number;
  /** Anything an operator should know (e.g. an unreadable state file). */
  note?: string;
}

export interface AcquireRequest {
  /** In preference order only as a tie-break; free good boards are chosen least-recently-used first. */
  candidates: BoardSpec[];
  /** Who holds the board, shown to everyone waiting (e.g. `nightly pid 4242 on lab-host-1`). */
  owner: string;
  timeoutMs: number;
  /** Called every few seconds while waiting, with which boards block and why. */
  onProgress?: (msg: string) => void;
  /** Run on a board of `unknown` health before handing it out; false or a throw counts as an infra outcome. Must bound its own time. */
  healthCheck?: (board: BoardSpec) => Promise<boolean>;
}

/** A lease an operator dropped with `kick`, without its token. */
export interface DroppedLease {
  owner: string;
  acquiredAt: number;
  expiresAt: number;
}

export interface Allocator {
  /** Lease duration; holders renew every third of it. */
  readonly ttlMs: number;
  acquire(req: AcquireRequest): Promise<Lease>;
  /** Extends the lease by ttlMs; throws LeaseLostError when the token no longer holds the board. */
  renew(lease: Lease): Promise<Lease>;
  /** Frees the board; a lease already lost is a no-op with a warning. */
  release(lease: Lease): Promise<void>;
  status(): Promise<BoardState[]>;
  /** Drops whatever lease a board has (an orphan whose holder is known dead); null when it had none. */
  kick(boardId: string): Promise<DroppedLease | null>;
  /** Sets health to unknown and the infra count to 0, so the next lease health-checks the board. */
  reset(boardId: string): Promise<BoardState>;
  recordOutcome(boardId: string, outcome: RunOutcome): Promise<BoardState>;
}

/** INFRA: the holder no longer owns the board and must stop using it. */
export class LeaseLostError extends EdgecertError {
  readonly boardId: string;
  constructor(boardId: string, detail: string) {
    super('INFRA', `lease lost on board ${boardId}: ${detail}`);
    this.boardId = boardId;
  }
}
