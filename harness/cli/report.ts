import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usage } from '../core/errors.ts';
import { boardVerdicts, writeAllureHtml } from '../report/allure-html.ts';
import { toJunit } from '../report/junit.ts';
import { buildSummary, writeJsonAtomic, type Summary } from '../report/summary.ts';
import { printSummary } from './print.ts';

/** Rebuild a run's report from its results (e.g. the run was killed before it could finish writing). */
export async function reportCommand(dir: string | undefined): Promise<number> {
  if (!dir) throw usage('usage: edgecert report RUN_DIR');
  const runDir = resolve(dir);
  const file = join(runDir, 'summary.json');
  if (!existsSync(file)) throw usage(`${runDir}: no summary.json (not an edgecert run directory)`);
  const prev = JSON.parse(readFileSync(file, 'utf8')) as Summary;
  const plans = prev.boards.map((b) => ({ board: b.id, model: b.model, os: b.os, profile: b.profile, planned: b.checks.map((c) => ({ id: c.id, suite: c.suite, title: c.title })), ...(b.infraError ? { infraError: b.infraError } : {}) }));
  const s = buildSummary({ runId: prev.runId, runDir, inventory: prev.inventory, startedAt: prev.startedAt, complete: prev.complete, plans, versions: prev.versions });
  writeJsonAtomic(file, s);
  writeFileSync(join(runDir, 'junit.xml'), toJunit(s));
  const html = await writeAllureHtml(runDir, `edgecert ${s.runId}`, boardVerdicts(s));
  printSummary(s, runDir, html);
  return s.exitCode;
}
