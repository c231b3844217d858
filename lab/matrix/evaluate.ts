import type { Outcome } from '../../harness/core/outcome.ts';
import { conformantProblem } from '../../harness/check/verdict.ts';
import type { Summary } from '../../harness/report/summary.ts';
import { defectKey, sameDefect, type MatrixEntry } from './expectations.ts';

export interface DefectBoard {
  id: string;
  defects: { name: string; arg?: unknown }[];
}

export interface MatrixVerdict {
  /** check -> the defect proven to trip it (the observed outcome on that defect's board) */
  proven: { checkId: string; defect: string; board: string; outcome: Outcome }[];
  /** problems that make CI red */
  problems: string[];
  /** checks of the catalogue without an expectation, or whose expectation was not observed */
  unproven: string[];
  fidelity: { proven: number; total: number; percent: number };
}

/**
 * Both directions: conformant boards show no FAIL/INFRA/NOT_RUN; each defect board FAILs every check expected of its
 * defects and nothing outside expected ∪ alsoFails.
 */
export function evaluateMatrix(opts: {
  catalogue: string[];
  expectations: MatrixEntry[];
  conformant: Summary[];
  defective: Summary[];
  defectBoards: DefectBoard[];
}): MatrixVerdict {
  const problems: string[] = [];
  for (const s of opts.conformant) {
    for (const b of s.boards) {
      for (const c of b.checks) {
        const problem = conformantProblem(c);
        if (problem) problems.push(`conformant board ${b.id}: ${c.id} ${problem}${c.outcome === 'SKIP' ? '' : `: ${c.message.split('\n')[0]}`}`);
      }
    }
  }
  for (const e of opts.expectations) {
    if (!opts.catalogue.includes(e.checkId)) problems.push(`${e.file}: ${e.checkId} is not a check of the catalogue`);
  }
  // a finding is how a security check FAILs under a nightly profile: it counts as catching the defect
  const outcome = new Map<string, Map<string, { outcome: Outcome; message: string }>>();
  for (const s of opts.defective) {
    for (const b of s.boards) {
      outcome.set(b.id, new Map(b.checks.map((c) => [c.id, c.outcome === 'PASS' && c.finding ? { outcome: 'FAIL', message: `finding: ${c.finding}` } : { outcome: c.outcome, message: c.message }])));
    }
  }

  const proven: MatrixVerdict['proven'] = [];
  for (const e of opts.expectations) {
    const boards = opts.defectBoards.filter((b) => b.defects.some((d) => sameDefect(d, e.defect)));
    if (!boards.length) {
      problems.push(`${e.checkId}: no defect board carries defect \`${defectKey(e.defect)}\``);
      continue;
    }
    for (const b of boards) {
      const r = outcome.get(b.id)?.get(e.checkId);
      if (!r) problems.push(`${e.checkId}: no result on defect board ${b.id}`);
      else if (!(e.outcomes as Outcome[]).includes(r.outcome)) problems.push(`${e.checkId}: expected ${e.outcomes.join('|')} on ${b.id} (${defectKey(e.defect)}), got ${r.outcome}: ${r.message.split('\n')[0]}`);
      else proven.push({ checkId: e.checkId, defect: defectKey(e.defect), board: b.id, outcome: r.outcome });
    }
  }
  for (const b of opts.defectBoards) {
    const mine = opts.expectations.filter((e) => b.defects.some((d) => sameDefect(d, e.defect)));
    const allowed = new Set(mine.flatMap((e) => [e.checkId, ...e.alsoFails]));
    for (const [checkId, r] of outcome.get(b.id) ?? []) {
      if (r.outcome === 'FAIL' && !allowed.has(checkId)) problems.push(`defect board ${b.id}: unexpected FAIL of ${checkId}: ${r.message.split('\n')[0]}`);
      if ((r.outcome === 'INFRA' || r.outcome === 'NOT_RUN') && !mine.some((e) => e.checkId === checkId && e.outcomes.includes('INFRA'))) {
        problems.push(`defect board ${b.id}: ${checkId} is ${r.outcome} (a bad board must not break the lab): ${r.message.split('\n')[0]}`);
      }
    }
  }
  const provenIds = new Set(proven.map((p) => p.checkId));
  const unproven = opts.catalogue.filter((id) => !provenIds.has(id));
  const total = opts.catalogue.length;
  return { proven, problems, unproven, fidelity: { proven: provenIds.size, total, percent: total ? Math.round((provenIds.size / total) * 1000) / 10 : 0 } };
}

export function formatMatrix(v: MatrixVerdict): string {
  const lines = ['negative-conformance matrix (check × defect):'];
  for (const p of [...v.proven].sort((a, b) => a.checkId.localeCompare(b.checkId))) lines.push(`  ${p.checkId.padEnd(34)} ${p.defect.padEnd(44)} ${p.board.padEnd(22)} ${p.outcome}`);
  if (v.unproven.length) lines.push(`checks without a proven defect (${v.unproven.length}): ${v.unproven.join(', ')}`);
  if (v.problems.length) lines.push(`problems (${v.problems.length}):`, ...v.problems.map((p) => `  - ${p}`));
  lines.push(`fidelity: ${v.fidelity.proven}/${v.fidelity.total} checks with a proven defect = ${v.fidelity.percent} %`);
  return lines.join('\n');
}
