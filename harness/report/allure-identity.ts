// One test per board × check in Allure: the board is an identifying parameter, so other boards' verdicts are never
// counted as retries of one test; labels group the report by board, then suite.
import type { CheckMeta } from '../check/meta.ts';
import type { Outcome } from '../core/outcome.ts';
import { getProjectName } from 'allure-js-commons/sdk/reporter';
import { REPO_ROOT } from '../cli/suite-files.ts';
import { redact } from '../core/redact.ts';

export interface AllureLabel {
  name: string;
  value: string;
}

/** The parameter that enters the historyId (measurements are added as excluded parameters: values change nightly). */
export const BOARD_PARAMETER = 'board';

export function allureLabels(meta: Pick<CheckMeta, 'id' | 'suite' | 'severity'>, board: string, profile: string, outcome: Outcome): AllureLabel[] {
  return [
    { name: 'suite', value: meta.suite },
    { name: 'tag', value: meta.id },
    { name: 'tag', value: outcome },
    { name: 'checkId', value: meta.id },
    { name: 'board', value: board },
    { name: 'profile', value: profile },
    { name: 'severity', value: meta.severity },
    { name: 'outcome', value: outcome },
  ];
}

export function allureDescription(meta: Pick<CheckMeta, 'requirement' | 'source' | 'remediation'>, r: { outcome: Outcome; message: string; finding?: string }): string {
  return (
    `**${meta.requirement}**\n\nSource: ${meta.source}\n\nRemediation: ${meta.remediation}` +
    `${r.message ? `\n\n${r.outcome}: ${redact(r.message)}` : ''}${r.finding ? `\n\nFinding: ${redact(r.finding)}` : ''}`
  );
}

/** Name and fullName as allure-vitest gives a check of `suites/<suite>.check.ts` (same testCaseId, same history). */
export function allureNames(meta: Pick<CheckMeta, 'id' | 'title' | 'suite'>): { name: string; fullName: string; titlePath: string[] } {
  const name = `${meta.id}: ${meta.title}`;
  const project = getProjectName(REPO_ROOT);
  const file = `suites/${meta.suite}.check.ts`;
  return { name, fullName: `${project ? `${project}:` : ''}${file}#${meta.suite} ${name}`, titlePath: [...(project ? [project] : []), 'suites', `${meta.suite}.check.ts`, meta.suite] };
}
