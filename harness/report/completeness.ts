// How complete a board verdict is: a "conformant" that checked 38 of 69 requirements must say so, and why the rest SKIPped.
import type { Outcome } from '../core/outcome.ts';

export interface Completeness {
  planned: number;
  /** PASS + FAIL: requirements actually judged on the board */
  checked: number;
  /** SKIPs grouped by their root reason (a check blocked by a SKIPped dependency counts under that dependency's reason) */
  skipped: { reason: string; count: number; checks: string[] }[];
}

interface CheckLine {
  id: string;
  outcome: Outcome;
  message: string;
}

const BLOCKED = /^blocked: depends on ([A-Z0-9-]+), which is (\w+)/;

/** The first clause of a skip message names its cause; the detail after it differs per check. */
function clause(message: string): string {
  const plain = message.replace(/\s*\([^()]*\)/g, '');
  const cut = plain.indexOf(': ');
  return (cut > 0 ? plain.slice(0, cut) : plain).trim().slice(0, 120);
}

function rootReason(c: CheckLine, byId: Map<string, CheckLine>, depth = 0): string {
  const m = BLOCKED.exec(c.message);
  if (!m) return clause(c.message);
  const dep = byId.get(m[1]!);
  if (!dep || depth > 20) return `blocked by ${m[1]} (${m[2]})`;
  if (dep.outcome === 'SKIP') return rootReason(dep, byId, depth + 1);
  return `blocked by ${m[1]} (${dep.outcome})`;
}

export function completeness(checks: CheckLine[]): Completeness {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const groups = new Map<string, string[]>();
  for (const c of checks.filter((x) => x.outcome === 'SKIP')) {
    const r = rootReason(c, byId);
    groups.set(r, [...(groups.get(r) ?? []), c.id]);
  }
  return {
    planned: checks.length,
    checked: checks.filter((c) => c.outcome === 'PASS' || c.outcome === 'FAIL').length,
    skipped: [...groups].map(([reason, ids]) => ({ reason, count: ids.length, checks: ids })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
  };
}

/** e.g. `conformant (38/69 checked, 31 SKIP: 28 board x has no cloud binding, 3 other)`. */
export function verdictLine(verdict: string, c: Completeness, totals: Record<Outcome, number>): string {
  const parts = [`${c.checked}/${c.planned} checked`];
  if (totals.SKIP) {
    // at most three reasons spelled out; a fourth and more are summed up as "other"
    const keep = c.skipped.length <= 3 ? 3 : 2;
    const shown = c.skipped.slice(0, keep).map((s) => `${s.count} ${s.reason}`);
    const rest = c.skipped.slice(keep).reduce((a, s) => a + s.count, 0);
    parts.push(`${totals.SKIP} SKIP: ${[...shown, ...(rest ? [`${rest} other`] : [])].join(', ')}`);
  }
  if (totals.INFRA) parts.push(`${totals.INFRA} INFRA`);
  if (totals.NOT_RUN) parts.push(`${totals.NOT_RUN} NOT_RUN`);
  return `${verdict} (${parts.join(', ')})`;
}
