import * as allure from 'allure-js-commons';
import { describe } from 'vitest';
import { newEvidence, evidenceStore, type Evidence } from '../board/recorder.ts';
import { EdgecertError, classify, errorChain } from '../core/errors.ts';
import type { Outcome } from '../core/outcome.ts';
import { redact } from '../core/redact.ts';
import { renderResult } from '../core/result.ts';
import type { BoardHandle } from '../fixtures/board-fixture.ts';
import { boardTest } from '../fixtures/index.ts';
import { allureDescription, allureLabels, BOARD_PARAMETER } from '../report/allure-identity.ts';
import { appendResult, readResults } from '../report/results-file.ts';
import { CheckContext } from './context.ts';
import { CheckMeta, type CheckMetaInput, type SuiteName } from './meta.ts';
import { collect, collecting } from './registry.ts';
import { skipBeforeRun } from './verdict.ts';
import type { CheckResult } from './result.ts';

let currentSuite: SuiteName | undefined;

/** A suite file: one area (kernel, storage ...), one board for the whole file, released after its last check. */
export function suite(name: SuiteName, body: () => void): void {
  currentSuite = name;
  if (collecting()) {
    body();
    currentSuite = undefined;
    return;
  }
  boardTest(); // file-scoped fixtures must be defined at the top level of the file, before describe
  // vitest collects describe bodies later, so the suite name is set again when it does
  describe(name, () => {
    currentSuite = name;
    body();
    currentSuite = undefined;
  });
  currentSuite = undefined;
}

/** One requirement. The body throws (via ctx.fail/skip/infra or any error) or returns: that decides the outcome. */
export function check(input: CheckMetaInput, body: (ctx: CheckContext) => Promise<void>): void {
  if (!currentSuite) throw new Error(`check ${input.id} declared outside suite()`);
  const parsed = CheckMeta.safeParse(input);
  if (!parsed.success) throw new Error(`check ${input.id}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta: CheckMeta = { ...parsed.data, suite: currentSuite };
  if (collecting()) return collect(meta);

  boardTest()(`${meta.id}: ${meta.title}`, async ({ board: h, skip }) => {
    const result = await runCheck(meta, h, body);
    await reportToAllure(meta, result);
    if (result.outcome === 'SKIP') skip(result.message);
    if (result.outcome === 'FAIL') throw new CheckFailed(`${meta.id} FAIL: ${result.message}`);
    if (result.outcome === 'INFRA') throw new LabError(`${meta.id} INFRA (lab failure, not a board verdict): ${result.message}`);
  });
}

class CheckFailed extends Error {
  override name = 'AssertionError';
}
class LabError extends Error {
  override name = 'LabError';
}

async function runCheck(meta: CheckMeta, h: BoardHandle, body: (ctx: CheckContext) => Promise<void>): Promise<CheckResult> {
  const startedAt = new Date();
  const evidence: Evidence = newEvidence();
  let outcome: Outcome = 'PASS';
  let message = '';
  let finding: string | undefined;
  const board = h.board;
  const skipped = board ? skipBeforeRun(meta, board.profile, priorOutcomes(meta, h)) : undefined;
  if (!board) {
    outcome = 'INFRA';
    message = `board could not be opened: ${errorChain(h.error)}`;
    if (h.error instanceof EdgecertError) for (const [k, v] of Object.entries(h.error.evidence)) evidence.notes.push({ name: k, text: v });
  } else if (skipped) {
    outcome = 'SKIP';
    message = skipped;
  } else {
    const ctx = new CheckContext(board, meta.finding);
    try {
      await evidenceStore.run(evidence, () => body(ctx));
      finding = ctx.finding;
    } catch (err) {
      const cls = isAssertion(err) ? 'FAIL' : classify(err);
      outcome = cls === 'USAGE' ? 'INFRA' : cls;
      message = errorChain(err);
      if (err instanceof EdgecertError) for (const [k, v] of Object.entries(err.evidence)) evidence.notes.push({ name: k, text: v });
    }
  }
  const result: CheckResult = {
    runId: h.env.runId,
    board: h.env.board,
    profile: board?.profile.name ?? h.env.profile.name,
    suite: meta.suite,
    checkId: meta.id,
    title: meta.title,
    outcome,
    message,
    ...(finding ? { finding } : {}),
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    commands: evidence.commands,
    notes: evidence.notes,
    measurements: evidence.measurements,
    boardMs: Math.round(evidence.commands.reduce((a, c) => a + c.durationMs, 0) + evidence.dockerApiMs),
  };
  appendResult(h.env.runDir, result);
  return result;
}

function isAssertion(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AssertionError' || err.constructor?.name === 'AssertionError');
}

/** Outcomes this board already has for the checks this one depends on (earlier suite files wrote them). */
function priorOutcomes(meta: CheckMeta, h: BoardHandle): Map<string, Outcome> {
  if (!meta.dependsOn.length) return new Map();
  return new Map(readResults(h.env.runDir, h.env.board).map((r) => [r.checkId, r.outcome]));
}

async function reportToAllure(meta: CheckMeta, r: CheckResult): Promise<void> {
  for (const l of allureLabels(meta, r.board, r.profile, r.outcome)) await allure.label(l.name, l.value);
  await allure.parameter(BOARD_PARAMETER, r.board);
  await allure.description(allureDescription(meta, r));
  for (const m of r.measurements) await allure.parameter(m.name, `${m.value} ${m.unit}`, { excluded: true });
  if (r.outcome === 'FAIL' || r.outcome === 'INFRA' || r.finding) {
    if (r.commands.length) await allure.attachment('commands', redact(r.commands.map(renderResult).join('\n\n')), 'text/plain');
    for (const n of r.notes) await allure.attachment(n.name, redact(n.text), 'text/plain');
  }
}
