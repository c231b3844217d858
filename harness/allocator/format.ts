import type { BoardState } from './types.ts';

// Human renderings of board states for `edgecert boards`, acquire progress and timeout errors; tokens never appear.

export const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const clock = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

function inSeconds(ms: number, now: number): string {
  const s = Math.round((ms - now) / 1000);
  return s >= 0 ? `in ${s}s` : `${-s}s ago`;
}

/** One clause per board: who blocks it until when, or why it is unusable. `skipped` holds reasons found during this acquire. */
export function describeBoard(s: BoardState, now: number, skipped?: string): string {
  if (skipped !== undefined) return `${s.boardId} ${skipped}`;
  if (s.health === 'bad') {
    const why = s.note ?? `${plural(s.consecutiveInfra, 'infra outcome')} in a row`;
    return `${s.boardId} is bad (${why}; \`edgecert boards reset ${s.boardId}\` once fixed)`;
  }
  if (s.state === 'leased') {
    return `${s.boardId} leased by ${s.owner ?? '?'} until ${clock(s.expiresAt ?? now)} (${inSeconds(s.expiresAt ?? now, now)})`;
  }
  return `${s.boardId} free (health ${s.health})`;
}

export function describeBoards(states: BoardState[], now: number, skipped: ReadonlyMap<string, string> = new Map()): string {
  return states.map((s) => describeBoard(s, now, skipped.get(s.boardId))).join('; ');
}

/** Plain-text table for `edgecert boards`. */
export function formatStatus(states: BoardState[], now: number = Date.now()): string {
  const header = ['BOARD', 'STATE', 'OWNER', 'EXPIRES', 'HEALTH', 'INFRA', 'LAST ACQUIRED'];
  const rows = states.map((s) => [
    s.boardId,
    s.state,
    s.owner ?? '-',
    s.expiresAt === undefined ? '-' : `${clock(s.expiresAt)} (${inSeconds(s.expiresAt, now)})`,
    s.health,
    String(s.consecutiveInfra),
    s.lastAcquiredAt === undefined ? 'never' : clock(s.lastAcquiredAt),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const notes = states.filter((s) => s.note !== undefined).map((s) => `note: ${s.boardId}: ${s.note}`);
  return [line(header), ...rows.map(line), ...notes].join('\n');
}
