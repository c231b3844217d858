import { EdgecertError, infra } from '../core/errors.ts';

// adbkit reports the link's failures as socket errors or as the server's FAIL text; they are the lab's fault (INFRA).

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN']);
const SERVER_SAYS_LINK = /not found|offline|unauthorized|authorizing|connecting|no devices|no emulators|closed|failed to connect|unable to connect|cannot connect|protocol fault/i;

/** An adbkit call, or one phase of it, did not settle in time. */
export class AdbDeadlineError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'AdbDeadlineError';
  }
}

/** True when the error is about reaching the board (server, device link), not about what the board answered. */
export function isLinkError(err: unknown): boolean {
  if (err instanceof AdbDeadlineError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && SOCKET_CODES.has(code)) return true;
  if (err.name === 'PrematureEOFError' || err.constructor?.name === 'PrematureEOFError') return true;
  return SERVER_SAYS_LINK.test(err.message);
}

export function asInfra(board: string, what: string, err: unknown): EdgecertError {
  if (err instanceof EdgecertError) return err;
  return infra(`adb ${board}: ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}

/**
 * Settle with `p` or reject with AdbDeadlineError after `ms`. A value that arrives late is handed to `late`
 * (to close a connection nobody will use).
 */
export function withDeadline<T>(p: PromiseLike<T>, ms: number, what: string, late?: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new AdbDeadlineError(what, ms));
    }, Math.max(0, ms));
    p.then(
      (v) => {
        if (expired) return late?.(v);
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        if (expired) return;
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
