import { EdgecertError } from './errors.ts';
import { log } from './log.ts';

export interface Probe<T> {
  done: boolean;
  /** What was seen this attempt; the last one is reported on timeout. */
  state: T;
}

export interface WaitOptions {
  intervalMs?: number;
  /** Outcome class of the timeout: FAIL when the board was too slow to meet a budget, INFRA when the lab was. */
  onTimeout?: 'FAIL' | 'INFRA';
  signal?: AbortSignal;
}

/** The one wait helper: polls `probe` until done or `timeoutMs`, logs attempts, reports the last state seen. */
export async function waitFor<T>(
  description: string,
  timeoutMs: number,
  probe: () => Promise<Probe<T>>,
  opts: WaitOptions = {},
): Promise<{ state: T; attempts: number; elapsedMs: number }> {
  const interval = opts.intervalMs ?? 500;
  const start = performance.now();
  let attempts = 0;
  let last: { state?: T; error?: unknown } = {};
  for (;;) {
    opts.signal?.throwIfAborted();
    attempts++;
    try {
      const p = await probe();
      last = { state: p.state };
      if (p.done) return { state: p.state, attempts, elapsedMs: Math.round(performance.now() - start) };
    } catch (error) {
      if (error instanceof EdgecertError && error.outcome !== 'INFRA') throw error;
      last = { error };
    }
    const elapsed = performance.now() - start;
    if (attempts === 1 || attempts % 10 === 0) log.debug(`waiting for ${description} (${Math.round(elapsed)} ms, attempt ${attempts})`);
    if (elapsed + interval > timeoutMs) {
      const seen = last.error !== undefined ? `error: ${String((last.error as Error)?.message ?? last.error)}` : JSON.stringify(last.state);
      throw new EdgecertError(
        opts.onTimeout ?? 'INFRA',
        `timed out after ${timeoutMs} ms waiting for ${description}; last state seen: ${truncate(seen, 2000)}`,
        { cause: last.error, evidence: { [`last state of: ${description}`]: seen ?? '' } },
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more chars)` : s;
}
