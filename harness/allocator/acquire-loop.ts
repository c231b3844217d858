import { errorChain, infra, usage } from '../core/errors.ts';
import { log } from '../core/log.ts';
import type { BoardSpec } from '../inventory/schema.ts';
import { describeBoards } from './format.ts';
import { holdLease } from './hold-lease.ts';
import type { AcquireRequest, Allocator, BoardState, Health, Lease } from './types.ts';

// Waiting, choosing and health-checking are the same for every backend; a backend only supplies these primitives.
export interface ClaimOps {
  snapshot(boardIds: string[]): Promise<BoardState[]>;
  /** Takes the board in one atomic step if it is unleased (or expired) and not bad; null when it is not. */
  tryClaim(boardId: string, owner: string): Promise<{ lease: Lease; health: Health } | null>;
}

export interface LoopTiming {
  pollMs: number;
  progressEveryMs: number;
}

const DEFAULT_TIMING: LoopTiming = { pollMs: 250, progressEveryMs: 3000 };

/** Usable boards in the order to try: good before unknown (unknown costs a health check), least recently acquired first. */
export function claimOrder(states: BoardState[], skipped: ReadonlyMap<string, string>): BoardState[] {
  const rank = (h: Health) => (h === 'good' ? 0 : 1);
  return states
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.state === 'free' && s.health !== 'bad' && !skipped.has(s.boardId))
    .sort((a, b) => rank(a.s.health) - rank(b.s.health) || (a.s.lastAcquiredAt ?? -1) - (b.s.lastAcquiredAt ?? -1) || a.i - b.i)
    .map(({ s }) => s);
}

export async function acquireWithWait(
  allocator: Allocator,
  ops: ClaimOps,
  req: AcquireRequest,
  timing: LoopTiming = DEFAULT_TIMING,
): Promise<Lease> {
  if (req.candidates.length === 0) throw usage('acquire needs at least one candidate board');
  if (!req.owner.trim()) throw usage('acquire needs a non-empty owner (who holds the board)');
  const ids = req.candidates.map((b) => b.id);
  const specs = new Map(req.candidates.map((b) => [b.id, b]));
  // Boards that failed their health check during this call are not retried by it.
  const skipped = new Map<string, string>();
  const start = performance.now();
  let nextProgress = 0;
  for (;;) {
    const states = await ops.snapshot(ids);
    for (const cand of claimOrder(states, skipped)) {
      const claimed = await ops.tryClaim(cand.boardId, req.owner);
      if (!claimed) continue;
      if (claimed.health !== 'unknown' || !req.healthCheck) return claimed.lease;
      const checked = await healthChecked(allocator, claimed.lease, specs.get(cand.boardId) as BoardSpec, req.healthCheck);
      if (typeof checked === 'object' && 'token' in checked) return checked;
      if (typeof checked === 'object') skipped.set(cand.boardId, `failed its health check during this acquire: ${checked.failed}`);
    }

    const now = Date.now();
    const after = await ops.snapshot(ids);
    if (after.every((s) => s.health === 'bad' || skipped.has(s.boardId))) {
      throw infra(`no usable board for ${req.owner}: ${describeBoards(after, now, skipped)}`);
    }
    const elapsed = performance.now() - start;
    if (elapsed >= req.timeoutMs) {
      throw infra(
        `no board free for ${req.owner} within ${req.timeoutMs / 1000} s: ${describeBoards(after, now, skipped)}`,
      );
    }
    if (elapsed >= nextProgress) {
      req.onProgress?.(`waiting for a board (${Math.round(elapsed / 1000)} s of ${req.timeoutMs / 1000} s): ${describeBoards(after, now, skipped)}`);
      nextProgress = elapsed + timing.progressEveryMs;
    }
    // Jitter keeps waiting processes from polling in lock-step.
    const pause = timing.pollMs * (0.6 + Math.random() * 0.8);
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(pause, req.timeoutMs - elapsed))));
  }
}

/** Health-checks a claimed board while renewing its lease. On fail the board is released and an infra outcome recorded. */
async function healthChecked(
  allocator: Allocator,
  lease: Lease,
  board: BoardSpec,
  check: (board: BoardSpec) => Promise<boolean>,
): Promise<Lease | { failed: string } | 'lost'> {
  const held = holdLease(allocator, lease);
  let passed = false;
  let why = 'the check answered false';
  try {
    passed = await check(board);
    if (!passed) log.warn(`board ${board.id} failed its health check`);
  } catch (err) {
    why = errorChain(err);
    log.warn(`board ${board.id} health check threw: ${why}`);
  }
  if (held.lost) return 'lost';
  try {
    await allocator.recordOutcome(board.id, passed ? 'ok' : 'infra');
  } catch (err) {
    await held.release();
    throw err;
  }
  if (!passed) {
    await held.release();
    return { failed: why };
  }
  return held.lost ? 'lost' : held.detach();
}
