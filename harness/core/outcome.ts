// Outcomes keep board failures apart from lab failures: only FAIL says anything about the board.
export const OUTCOMES = ['PASS', 'FAIL', 'INFRA', 'SKIP', 'NOT_RUN'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Exit codes of `edgecert run`: 0 conformant, 1 non-conformant, 2 infra or usage error. */
export const EXIT = { CONFORMANT: 0, NON_CONFORMANT: 1, INFRA_OR_USAGE: 2 } as const;
