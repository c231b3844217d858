// The board's clock against the host's, from `date -u +%s` bracketed by two host readings.

export interface ClockReading {
  boardS: number;
  /** host wall clock (ms) just before and just after the board command */
  hostBeforeMs: number;
  hostAfterMs: number;
}

/** Seconds since the epoch as `date +%s` prints them; undefined for anything else (garbage, a missing %s). */
export function parseEpochSeconds(stdout: string): number | undefined {
  const t = stdout.trim();
  return /^\d{1,12}$/.test(t) ? Number(t) : undefined;
}

/** Board minus host in seconds (negative: the board is behind), and how uncertain that is (1 s resolution + the round trip). */
export function clockSkew(r: ClockReading): { skewS: number; uncertaintyS: number } {
  const mid = (r.hostBeforeMs + r.hostAfterMs) / 2000;
  // `date +%s` truncates: the board's true time lies in [boardS, boardS + 1)
  const skewS = r.boardS + 0.5 - mid;
  return { skewS: Math.round(skewS * 10) / 10, uncertaintyS: Math.round((0.5 + (r.hostAfterMs - r.hostBeforeMs) / 2000) * 10) / 10 };
}
