// The verdict rules, decided here only: which checks a profile takes out (not applicable, waived), when a dependency
// blocks a check, what certification does with SKIPs and findings, and a board's verdict from its outcomes. The check
// wrapper, the summary and the matrix all ask this module.
import { EXIT, type Outcome } from '../core/outcome.ts';
import type { Profile } from '../profiles/schema.ts';
import type { CheckMeta } from './meta.ts';

export type BoardVerdict = 'conformant' | 'non-conformant' | 'incomplete';

/** A SKIP decided before the check body runs (profile or dependency), with its reason; undefined: run the body. */
export function skipBeforeRun(
  meta: Pick<CheckMeta, 'id' | 'dependsOn'>,
  profile: Pick<Profile, 'name' | 'notApplicable' | 'waivers'>,
  prior: ReadonlyMap<string, Outcome>,
): string | undefined {
  const na = profile.notApplicable.find((n) => n.check === meta.id);
  if (na) return `not applicable to profile ${profile.name}: ${na.reason}`;
  const waived = profile.waivers.find((w) => w.check === meta.id && !w.option);
  if (waived) return `waived by profile ${profile.name}: ${waived.reason}`;
  // labgrid habit: a check whose dependency did not pass is blocked (SKIP), not failed again for the same cause
  for (const dep of meta.dependsOn) {
    const o = prior.get(dep);
    if (!o) return `blocked: ${dep} has not run in this run (it must run first)`;
    if (o !== 'PASS') return `blocked: depends on ${dep}, which is ${o}`;
  }
  return undefined;
}

/** Security findings FAIL under certification (a run's --certify or a profile's `security: certify`). */
export function findingFails(profile: Pick<Profile, 'security'>): boolean {
  return profile.security === 'certify';
}

/** What an outcome counts as for the exit code: under certification a SKIP means the requirement was not shown. */
function countedAs(outcome: Outcome, certify: boolean | undefined): Outcome {
  return certify && outcome === 'SKIP' ? 'FAIL' : outcome;
}

export function boardVerdict(totals: Record<Outcome, number>, certify: boolean | undefined): BoardVerdict {
  if (totals.FAIL || (certify && totals.SKIP)) return 'non-conformant';
  return totals.INFRA || totals.NOT_RUN ? 'incomplete' : 'conformant';
}

/** Exit code of a run: 1 any FAIL, else 2 any INFRA/NOT_RUN (or nothing ran), else 0. */
export function exitCodeFor(outcomes: readonly Outcome[], certify: boolean | undefined): number {
  const counted = (outcomes.length ? outcomes : (['NOT_RUN'] as Outcome[])).map((o) => countedAs(o, certify));
  if (counted.includes('FAIL')) return EXIT.NON_CONFORMANT;
  return counted.some((o) => o === 'INFRA' || o === 'NOT_RUN') ? EXIT.INFRA_OR_USAGE : EXIT.CONFORMANT;
}

/** On a conformant board every check must PASS, or SKIP with a reason (the matrix's first direction). */
export function conformantProblem(c: { outcome: Outcome; message: string }): string | undefined {
  if (c.outcome !== 'PASS' && c.outcome !== 'SKIP') return `is ${c.outcome}`;
  if (c.outcome === 'SKIP' && !c.message.trim()) return 'SKIP without a reason';
  return undefined;
}
