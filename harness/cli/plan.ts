import { pathToFileURL } from 'node:url';
import type { CheckMeta } from '../check/meta.ts';
import { collectChecks } from '../check/registry.ts';
import { usage } from '../core/errors.ts';
import type { BoardSpec } from '../inventory/schema.ts';
import { loadProfile } from '../profiles/load.ts';
import type { Profile } from '../profiles/schema.ts';
import type { BoardPlan } from '../report/summary.ts';
import { suiteFiles } from './suite-files.ts';

export interface Selection {
  suites?: string[];
  grep?: RegExp;
  profile?: string;
}

// suite modules register their checks only when first imported: a second collection in one process would find none
let collected: Promise<CheckMeta[]> | undefined;

export function catalogue(): Promise<CheckMeta[]> {
  return (collected ??= collectChecks(suiteFiles().map((s) => pathToFileURL(s.file).href)));
}

/** Which checks each board will run: its profile's suites, narrowed by --suite and --grep. */
export function planBoard(
  board: BoardSpec,
  all: CheckMeta[],
  sel: Selection,
): { plan: BoardPlan; checks: CheckMeta[]; profile: Profile; files: string[]; testNamePattern?: string } {
  const profile = loadProfile(sel.profile ?? board.profile);
  let suites: string[] = profile.suites;
  if (sel.suites?.length) {
    const unknown = sel.suites.filter((s) => !all.some((c) => c.suite === s));
    if (unknown.length) throw usage(`--suite ${unknown.join(',')}: no such suite; suites: ${[...new Set(all.map((c) => c.suite))].join(', ')}`);
    suites = suites.filter((s) => sel.suites!.includes(s));
  }
  const planned = all.filter((c) => suites.includes(c.suite) && (!sel.grep || sel.grep.test(`${c.id}: ${c.title}`)));
  return {
    plan: { board: board.id, model: board.model, os: board.os, profile: profile.name, planned: planned.map(({ id, suite, title }) => ({ id, suite, title })) },
    checks: planned,
    // a suite file holds more checks than --grep asked for: vitest runs only the planned ones
    ...(planned.length < all.filter((c) => suites.includes(c.suite)).length ? { testNamePattern: `(^| )(${planned.map((c) => c.id).join('|')}): ` } : {}),
    profile,
    files: suiteFiles(suites).filter((s) => planned.some((c) => c.suite === s.suite)).map((s) => s.file),
  };
}
