// A board that could not be brought up or leased still gets a verdict for every planned check: INFRA, with the reason,
// in results/<board>.jsonl (so summary.json and JUnit carry it) and in the Allure results (so the HTML shows it).
// Checks a run never reached (NOT_RUN) are shown in the HTML too, so every planned verdict is visible there.
import { Stage, Status } from 'allure-js-commons';
import { FileSystemWriter, ReporterRuntime } from 'allure-js-commons/sdk/reporter';
import { join } from 'node:path';
import type { CheckMeta } from '../check/meta.ts';
import type { CheckResult } from '../check/result.ts';
import { redact } from '../core/redact.ts';
import { allureDescription, allureLabels, allureNames, BOARD_PARAMETER } from './allure-identity.ts';
import { appendResult, readResults } from './results-file.ts';

export interface BoardInfra {
  runId: string;
  runDir: string;
  board: string;
  profile: string;
  planned: CheckMeta[];
  reason: string;
}

/** Record INFRA for each planned check of the board that has no verdict yet; returns how many were recorded. */
export function recordBoardInfra(b: BoardInfra): number {
  return recordMissing(b, 'INFRA');
}

/** A planned check the run never reached is NOT_RUN: no result line (absence is the record), but a test in the HTML. */
export function showNotRun(b: BoardInfra): number {
  return recordMissing(b, 'NOT_RUN');
}

function recordMissing(b: BoardInfra, outcome: 'INFRA' | 'NOT_RUN'): number {
  const done = new Set(readResults(b.runDir, b.board).map((r) => r.checkId));
  const todo = b.planned.filter((m) => !done.has(m.id));
  if (!todo.length) return 0;
  const runtime = new ReporterRuntime({ writer: new FileSystemWriter({ resultsDir: join(b.runDir, 'allure-results') }) });
  const now = Date.now();
  const message = redact(b.reason);
  for (const meta of todo) {
    const result: CheckResult = {
      runId: b.runId,
      board: b.board,
      profile: b.profile,
      suite: meta.suite,
      checkId: meta.id,
      title: meta.title,
      outcome,
      message,
      startedAt: new Date(now).toISOString(),
      durationMs: 0,
      commands: [],
      notes: [],
      measurements: [],
      boardMs: 0,
    };
    if (outcome === 'INFRA') appendResult(b.runDir, result);
    const uuid = runtime.startTest({ ...allureNames(meta), start: now });
    runtime.updateTest(uuid, (t) => {
      t.labels.push(...allureLabels(meta, b.board, b.profile, outcome));
      t.parameters.push({ name: BOARD_PARAMETER, value: b.board });
      t.description = allureDescription(meta, result);
      // no status for NOT_RUN: Allure shows it as unknown, apart from a SKIP
      t.status = outcome === 'INFRA' ? Status.BROKEN : undefined;
      t.statusDetails = { message: outcome === 'INFRA' ? `${meta.id} INFRA (lab failure, not a board verdict): ${message}` : `${meta.id} NOT_RUN: ${message}` };
      t.stage = Stage.FINISHED;
    });
    runtime.stopTest(uuid, { stop: now });
    runtime.writeTest(uuid);
  }
  return todo.length;
}
