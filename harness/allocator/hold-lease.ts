import { constants } from 'node:os';
import { EdgecertError, errorChain } from '../core/errors.ts';
import { log } from '../core/log.ts';
import { LeaseLostError, type Allocator, type Lease } from './types.ts';

export interface HoldOptions {
  /** Called once if the board is lost (taken over, kicked, or not renewable before expiry); the run must stop using it. */
  onLost?: (err: EdgecertError) => void;
  /**
   * `release-and-exit` (default): on SIGINT/SIGTERM free the board, then exit 130/143.
   * `leave-to-caller`: a program with its own signal handling (stop children first, then release) keeps control;
   * this hold then installs no signal handler and never exits the process.
   */
  signals?: 'release-and-exit' | 'leave-to-caller';
}

export interface HeldLease {
  /** The lease as last renewed. */
  readonly current: Lease;
  /** Set once the board was lost. */
  readonly lost: EdgecertError | undefined;
  /** Stops the heartbeat and frees the board; idempotent. */
  release(): Promise<void>;
  /** Stops the heartbeat without freeing the board; the caller owns the returned lease again. */
  detach(): Lease;
}

/** A signal must not hang the exit forever on a stuck lease store; past this the lease simply expires. */
const SIGNAL_RELEASE_BUDGET_MS = 5000;

const active = new Set<Holding>();
let exitHooksInstalled = false;
let signalHandlersInstalled = false;

/**
 * Keeps `lease` alive by renewing every ttlMs/3 until released. While a lease is held, SIGINT/SIGTERM release it and
 * exit 130/143 (see HoldOptions.signals), and a process that simply runs out of work releases it too.
 * A SIGKILLed holder cannot do anything: its lease expires after ttlMs.
 */
export function holdLease(allocator: Allocator, lease: Lease, ttlMs: number = allocator.ttlMs, opts: HoldOptions = {}): HeldLease {
  installExitHooks();
  const h = new Holding(allocator, lease, Math.max(50, Math.floor(ttlMs / 3)), opts);
  active.add(h);
  syncSignalHandlers();
  h.schedule(h.intervalMs);
  return h;
}

class Holding implements HeldLease {
  current: Lease;
  lost: EdgecertError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inflight: Promise<void> = Promise.resolve();
  private releasing: Promise<void> | undefined;

  readonly exitsOnSignal: boolean;

  constructor(
    private readonly allocator: Allocator,
    lease: Lease,
    readonly intervalMs: number,
    private readonly opts: HoldOptions,
  ) {
    this.current = lease;
    this.exitsOnSignal = (opts.signals ?? 'release-and-exit') === 'release-and-exit';
  }

  schedule(ms: number): void {
    if (this.stopped) return;
    // Never keeps the process alive by itself: when the run has nothing left to do, beforeExit releases the board.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inflight = this.beat();
    }, ms).unref();
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    try {
      const renewed = await this.allocator.renew(this.current);
      if (this.stopped) return;
      this.current = renewed;
      this.schedule(this.intervalMs);
    } catch (err) {
      if (this.stopped) return;
      if (err instanceof LeaseLostError) return this.markLost(err);
      if (Date.now() >= this.current.expiresAt) {
        return this.markLost(new LeaseLostError(this.current.boardId, `could not renew before expiry (${errorChain(err)})`));
      }
      log.warn(`renewing the lease on board ${this.current.boardId} failed, retrying: ${errorChain(err)}`);
      this.schedule(Math.min(1000, this.intervalMs));
    }
  }

  private markLost(err: EdgecertError): void {
    this.stop();
    this.lost = err;
    log.error(err.message);
    try {
      this.opts.onLost?.(err);
    } catch (cbErr) {
      log.error(`onLost callback for board ${this.current.boardId} threw: ${errorChain(cbErr)}`);
    }
  }

  private stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    active.delete(this);
    syncSignalHandlers();
  }

  release(): Promise<void> {
    if (!this.releasing) {
      const wasLost = this.lost !== undefined;
      this.stop();
      // A renewal in flight must land first, or it would look like the lease was lost after our own release.
      this.releasing = this.inflight.then(() => (wasLost ? undefined : this.allocator.release(this.current)));
    }
    return this.releasing;
  }

  detach(): Lease {
    if (this.lost) throw this.lost;
    this.stop();
    return this.current;
  }
}

// beforeExit/exit listeners do not change how the process ends, so they can stay for good.
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('beforeExit', () => {
    if (active.size === 0) return;
    log.info(`run ended while holding ${boardList()}: releasing`);
    void releaseAll([...active]);
  });
  process.on('exit', () => {
    if (active.size > 0) log.warn(`exiting while holding ${boardList()}: the lease expires on its own after its TTL`);
  });
}

// A signal listener replaces the default "terminate", so it is present only while a release-and-exit lease is held;
// without one, a signal (a second Ctrl-C during release, say) ends the process as usual.
function syncSignalHandlers(): void {
  const wanted = [...active].some((h) => h.exitsOnSignal);
  if (wanted === signalHandlersInstalled) return;
  signalHandlersInstalled = wanted;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    if (wanted) process.on(sig, onSignal);
    else process.off(sig, onSignal);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  const code = 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 15);
  const mine = [...active].filter((h) => h.exitsOnSignal);
  // A leave-to-caller hold means the program handles signals itself and will exit when it is done.
  const callerExits = [...active].some((h) => !h.exitsOnSignal);
  log.warn(`${signal}: releasing board ${mine.map((h) => h.current.boardId).join(', ')}${callerExits ? '' : ' before exit'}`);
  if (!callerExits) {
    setTimeout(() => {
      log.error(`release did not finish within ${SIGNAL_RELEASE_BUDGET_MS} ms; leaving the lease to expire`);
      process.exit(code);
    }, SIGNAL_RELEASE_BUDGET_MS);
  }
  void releaseAll(mine).finally(() => {
    if (!callerExits) process.exit(code);
  });
}

async function releaseAll(holds: Holding[]): Promise<void> {
  const results = await Promise.allSettled(holds.map((h) => h.release()));
  for (const r of results) if (r.status === 'rejected') log.error(`releasing a board: ${errorChain(r.reason)}`);
}

const boardList = (): string => `board ${[...active].map((h) => h.current.boardId).join(', ')}`;

