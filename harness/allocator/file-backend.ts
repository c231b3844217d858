import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { infra, usage } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { registerSecret } from '../core/redact.ts';
import type { BoardSpec } from '../inventory/schema.ts';
import { acquireWithWait, type ClaimOps, type LoopTiming } from './acquire-loop.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { plural } from './format.ts';
import { isLeased, readRecord, recordPath, toBoardState, type BoardRecord, type ReadRecord } from './board-record.ts';
import { staleMsFor, withBoardMutex } from './board-mutex.ts';
import { selfHolder } from './holder-identity.ts';
import {
  LeaseLostError,
  type AcquireRequest,
  type Allocator,
  type BoardState,
  type DroppedLease,
  type Health,
  type Lease,
  type RunOutcome,
} from './types.ts';

export interface FileAllocatorOptions {
  /** Lease files live in `<stateDir>/leases/`; every process sharing the boards must use the same directory. */
  stateDir: string;
  ttlSeconds: number;
  badAfter: number;
  boards: BoardSpec[];
  /** How often a waiting acquire looks again (default 250 ms) and reports progress (default 3000 ms). */
  timing?: Partial<LoopTiming>;
}

/** The write under way saw another writer's revision appear: only possible if the state mutex was broken. */
class RevisionConflict extends Error {}

const at = (ms: number) => new Date(ms).toISOString();

/** Leases for one lab host: one JSON file per board, changed only under that board's cross-process mutex. */
export class FileAllocator implements Allocator {
  readonly ttlMs: number;
  private readonly dir: string;
  private readonly badAfter: number;
  private readonly boardIds: string[];
  private readonly staleMs: number;
  private readonly timing: LoopTiming;
  private dirReady: Promise<void> | undefined;

  constructor(opts: FileAllocatorOptions) {
    if (!(opts.ttlSeconds > 0)) throw usage(`lease ttlSeconds must be positive, got ${opts.ttlSeconds}`);
    if (!Number.isInteger(opts.badAfter) || opts.badAfter < 1) throw usage(`badAfter must be an integer >= 1, got ${opts.badAfter}`);
    this.ttlMs = Math.round(opts.ttlSeconds * 1000);
    this.dir = resolve(opts.stateDir, 'leases');
    this.badAfter = opts.badAfter;
    this.boardIds = [...new Set(opts.boards.map((b) => b.id))];
    this.staleMs = staleMsFor(this.ttlMs);
    this.timing = { pollMs: 250, progressEveryMs: 3000, ...opts.timing };
  }

  async acquire(req: AcquireRequest): Promise<Lease> {
    for (const b of req.candidates) this.known(b.id);
    const ops: ClaimOps = { snapshot: (ids) => this.snapshot(ids), tryClaim: (id, owner) => this.tryClaim(id, owner) };
    return acquireWithWait(this, ops, req, this.timing);
  }

  async renew(lease: Lease): Promise<Lease> {
    this.known(lease.boardId);
    return this.mutate(lease.boardId, ({ rec }, now) => {
      const cur = rec.lease;
      if (!cur || cur.token !== lease.token) throw new LeaseLostError(lease.boardId, whoHasIt(rec, now));
      // Same token means nobody else acquired the board in between, so a late renewal is still exclusive.
      if (cur.expiresAt <= now) log.warn(`board ${lease.boardId}: renewed ${now - cur.expiresAt} ms after expiry; nobody took it meanwhile`);
      const renewed: Lease = { ...lease, expiresAt: now + this.ttlMs };
      return { next: { ...rec, lease: { ...cur, expiresAt: renewed.expiresAt } }, result: renewed };
    });
  }

  async release(lease: Lease): Promise<void> {
    this.known(lease.boardId);
    return this.mutate(lease.boardId, ({ rec }, now) => {
      if (!rec.lease || rec.lease.token !== lease.token) {
        log.warn(`release of board ${lease.boardId} by ${lease.owner} ignored: lease already lost (${whoHasIt(rec, now)})`);
        return { result: undefined };
      }
      return { next: { ...rec, lease: null }, result: undefined };
    });
  }

  async status(): Promise<BoardState[]> {
    return this.snapshot(this.boardIds);
  }

  async kick(boardId: string): Promise<DroppedLease | null> {
    this.known(boardId);
    return this.mutate(boardId, ({ rec }, now) => {
      if (!rec.lease) return { result: null };
      const { owner, acquiredAt, expiresAt } = rec.lease;
      log.warn(`board ${boardId}: dropped the lease of ${owner} (${expiresAt > now ? `valid until ${at(expiresAt)}` : 'already expired'})`);
      return { next: { ...rec, lease: null }, result: { owner, acquiredAt, expiresAt } };
    });
  }

  async reset(boardId: string): Promise<BoardState> {
    this.known(boardId);
    return this.mutate(boardId, ({ rec }, now) => {
      const next: BoardRecord = { ...rec, health: 'unknown', consecutiveInfra: 0 };
      return { next, result: toBoardState({ rec: next }, now) };
    });
  }

  async recordOutcome(boardId: string, outcome: RunOutcome): Promise<BoardState> {
    this.known(boardId);
    return this.mutate(boardId, ({ rec }, now) => {
      const count = outcome === 'ok' ? 0 : rec.consecutiveInfra + 1;
      // Only `reset` clears bad: an outcome from a run that began before the board went bad must not revive it.
      let health: Health = rec.health === 'bad' ? 'bad' : outcome === 'ok' ? 'good' : 'unknown';
      if (count >= this.badAfter && health !== 'bad') {
        health = 'bad';
        log.warn(`board ${boardId} marked bad after ${plural(count, 'infra outcome')} in a row; \`edgecert boards reset ${boardId}\` once fixed`);
      }
      const next: BoardRecord = { ...rec, health, consecutiveInfra: count };
      return { next, result: toBoardState({ rec: next }, now) };
    });
  }

  private async tryClaim(boardId: string, owner: string): Promise<{ lease: Lease; health: Health } | null> {
    return this.mutate(boardId, ({ rec }, now) => {
      if (isLeased(rec, now) || rec.health === 'bad') return { result: null };
      if (rec.lease && rec.lease.expiresAt > now) {
        log.warn(`board ${boardId}: holder ${rec.lease.owner} (pid ${rec.lease.holder?.pid} on this host) is gone; taking its lease over before it expires`);
      } else if (rec.lease) log.info(`board ${boardId}: lease of ${rec.lease.owner} expired at ${at(rec.lease.expiresAt)}; taking it over`);
      const token = randomBytes(16).toString('hex');
      registerSecret(token);
      const lease: Lease = { boardId, owner, token, acquiredAt: now, expiresAt: now + this.ttlMs };
      const { acquiredAt, expiresAt } = lease;
      return {
        next: { ...rec, lease: { owner, token, acquiredAt, expiresAt, holder: selfHolder() }, lastAcquiredAt: now },
        result: { lease, health: rec.health },
      };
    });
  }

  private async snapshot(ids: string[]): Promise<BoardState[]> {
    const reads = await Promise.all(ids.map((id) => readRecord(this.dir, id)));
    const now = Date.now();
    return reads.map((r) => toBoardState(r, now));
  }

  /** Read, decide, and (if `change` returns `next`) write one board's record under its mutex. */
  private async mutate<T>(boardId: string, change: (read: ReadRecord, now: number) => { next?: BoardRecord; result: T }): Promise<T> {
    await this.ensureDir();
    for (let attempt = 1; ; attempt++) {
      try {
        return await withBoardMutex(this.dir, boardId, this.staleMs, async (mutex) => {
          const read = await readRecord(this.dir, boardId);
          const { next, result } = change(read, Date.now());
          if (next) {
            const body = `${JSON.stringify({ ...next, rev: read.rec.rev + 1 }, null, 2)}\n`;
            // Last line of defence should the mutex ever be taken over as stale while we hold it.
            await writeFileAtomic(recordPath(this.dir, boardId), body, async () => {
              mutex.assertHeld();
              if ((await readRecord(this.dir, boardId)).rec.rev !== read.rec.rev) throw new RevisionConflict();
            });
          }
          return result;
        });
      } catch (err) {
        if (!(err instanceof RevisionConflict)) throw err;
        if (attempt >= 3) throw infra(`state of board ${boardId} kept changing under its lock; another process is misbehaving`);
        log.warn(`state of board ${boardId} changed under its lock; redoing the update`);
      }
    }
  }

  private ensureDir(): Promise<void> {
    this.dirReady ??= mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        this.dirReady = undefined;
        throw infra(`cannot create the lease directory ${this.dir} (lab.stateDir in devices.yaml must be writable)`, { cause: err });
      },
    );
    return this.dirReady;
  }

  private known(boardId: string): void {
    if (!this.boardIds.includes(boardId)) throw usage(`unknown board "${boardId}"; boards of this lab: ${this.boardIds.join(', ')}`);
  }
}

/** Why a token no longer holds its board, naming the current holder if any (never its token). */
function whoHasIt(rec: BoardRecord, now: number): string {
  if (!rec.lease) return 'the board was released or kicked';
  if (rec.lease.expiresAt > now) return `board now held by ${rec.lease.owner} until ${at(rec.lease.expiresAt)}`;
  return `board was since taken by ${rec.lease.owner}, whose lease expired at ${at(rec.lease.expiresAt)}`;
}
