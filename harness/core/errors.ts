import type { Outcome } from './outcome.ts';

/** What kind of failure an error is: the board's fault (FAIL), the lab's (INFRA), not applicable (SKIP), or bad input (USAGE). */
export type ErrorClass = Extract<Outcome, 'FAIL' | 'INFRA' | 'SKIP'> | 'USAGE';

/** The one error type of edgecert. `outcome` decides how a check that throws it is reported. */
export class EdgecertError extends Error {
  readonly outcome: ErrorClass;
  /** Evidence to attach to the report (command outputs, last state seen); redacted before writing. */
  readonly evidence: Record<string, string>;
  constructor(outcome: ErrorClass, message: string, opts: { cause?: unknown; evidence?: Record<string, string> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EdgecertError';
    this.outcome = outcome;
    this.evidence = opts.evidence ?? {};
  }
}

export const infra = (message: string, opts?: { cause?: unknown; evidence?: Record<string, string> }) =>
  new EdgecertError('INFRA', message, opts);
export const boardFail = (message: string, opts?: { cause?: unknown; evidence?: Record<string, string> }) =>
  new EdgecertError('FAIL', message, opts);
export const skip = (reason: string) => new EdgecertError('SKIP', reason);
export const usage = (message: string, opts?: { cause?: unknown }) => new EdgecertError('USAGE', message, opts);

/** Any unknown error from the harness itself is an INFRA outcome, never a board FAIL. */
export function classify(err: unknown): ErrorClass {
  return err instanceof EdgecertError ? err.outcome : 'INFRA';
}

export function errorChain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur && i < 6; i++) {
    parts.push(cur instanceof Error ? cur.message : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return parts.join(' <- ');
}
