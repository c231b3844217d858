import { existsSync, readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardFacts } from '../board/facts.ts';
import type { CheckResult } from '../check/result.ts';
import { boardVerdict, exitCodeFor } from '../check/verdict.ts';
import { OUTCOMES, type Outcome } from '../core/outcome.ts';
import { redactDeep } from '../core/redact.ts';
import { completeness, verdictLine, type Completeness } from './completeness.ts';
import { readResults } from './results-file.ts';

export interface BoardPlan {
  board: string;
  model: string;
  os: string;
  profile: string;
  /** the checks this run meant to run on this board: any without a result is NOT_RUN */
  planned: { id: string; suite: string; title: string }[];
  /** why the whole board was not run (lease not obtained, lab down) */
  infraError?: string;
}

export interface Summary {
  runId: string;
  startedAt: string;
  finishedAt: string;
  complete: boolean;
  /** vendor certification: findings FAIL and no SKIP is allowed */
  certify?: boolean;
  inventory: string;
  versions: Record<string, string>;
  exitCode: number;
  totals: Record<Outcome, number>;
  boards: {
    id: string;
    model: string;
    os: string;
    profile: string;
    verdict: 'conformant' | 'non-conformant' | 'incomplete';
    /** the verdict with how complete it is, e.g. `conformant (38/69 checked, 31 SKIP: ...)` */
    verdictLine: string;
    completeness: Completeness;
    totals: Record<Outcome, number>;
    facts?: BoardFacts;
    infraError?: string;
    findings: { checkId: string; finding: string }[];
    checks: {
      id: string;
      suite: string;
      title: string;
      outcome: Outcome;
      durationMs: number;
      message: string;
      /** a security finding recorded under a nightly profile (the same check FAILs under a certify profile) */
      finding?: string;
      measurements: CheckResult['measurements'];
    }[];
  }[];
}

export function factsFile(runDir: string, board: string): string {
  return join(runDir, 'boards', `${board}.facts.json`);
}

export function writeFacts(runDir: string, board: string, facts: BoardFacts): void {
  mkdirSync(join(runDir, 'boards'), { recursive: true });
  writeFileSync(factsFile(runDir, board), JSON.stringify(redactDeep(facts), null, 2));
}

const zero = (): Record<Outcome, number> => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

/** Build summary.json from what was planned and what was recorded; the last result of a check wins. */
export function buildSummary(opts: { runId: string; runDir: string; inventory: string; startedAt: string; complete: boolean; plans: BoardPlan[]; versions: Record<string, string>; certify?: boolean }): Summary {
  const results = readResults(opts.runDir);
  const totals = zero();
  const boards = opts.plans.map((p) => {
    const mine = new Map<string, CheckResult>();
    for (const r of results) if (r.board === p.board) mine.set(r.checkId, r);
    const checks = p.planned.map((m) => {
      const r = mine.get(m.id);
      return {
        id: m.id,
        suite: m.suite,
        title: m.title,
        outcome: r?.outcome ?? 'NOT_RUN',
        durationMs: r?.durationMs ?? 0,
        message: r?.message ?? (p.infraError ? `board not run: ${p.infraError}` : opts.complete ? 'no result recorded' : 'run ended before this check'),
        ...(r?.finding ? { finding: r.finding } : {}),
        measurements: r?.measurements ?? [],
      };
    });
    const bt = zero();
    for (const c of checks) {
      bt[c.outcome]++;
      totals[c.outcome]++;
    }
    const ff = factsFile(opts.runDir, p.board);
    const verdict = boardVerdict(bt, opts.certify);
    const done = completeness(checks);
    return {
      id: p.board,
      model: p.model,
      os: p.os,
      profile: p.profile,
      verdict,
      verdictLine: verdictLine(verdict, done, bt),
      completeness: done,
      totals: bt,
      ...(existsSync(ff) ? { facts: JSON.parse(readFileSync(ff, 'utf8')) as BoardFacts } : {}),
      ...(p.infraError ? { infraError: p.infraError } : {}),
      findings: [...mine.values()].filter((r) => r.finding).map((r) => ({ checkId: r.checkId, finding: r.finding! })),
      checks,
    };
  });
  const outcomes = boards.flatMap((b) => b.checks.map((c) => c.outcome));
  return redactDeep({
    runId: opts.runId,
    startedAt: opts.startedAt,
    finishedAt: new Date().toISOString(),
    complete: opts.complete,
    ...(opts.certify ? { certify: true } : {}),
    inventory: opts.inventory,
    versions: opts.versions,
    exitCode: exitCodeFor(outcomes, opts.certify),
    totals,
    boards,
  });
}

/** Written atomically so a reader never sees half a summary. */
export function writeJsonAtomic(file: string, data: unknown): void {
  writeFileSync(`${file}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
