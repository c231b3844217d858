import { resolve } from 'node:path';
import { loadLabInventory } from '../spec.ts';
import { loadDefects } from '../defects.ts';
import { catalogue, runConformance } from '../../harness/runner.ts';
import { evaluateMatrix, formatMatrix, type MatrixVerdict } from './evaluate.ts';
import { loadExpectations, sameDefect } from './expectations.ts';

export interface MatrixOptions {
  conformantInventory: string;
  defectInventory: string;
  reportsDir?: string;
  /** restrict to these suites (CI uses all node suites) */
  suites?: string[];
  parallel?: number;
}

/** Run the conformant lab and the defect lab, then judge both directions and the fidelity figure. */
export async function runMatrix(opts: MatrixOptions): Promise<{ verdict: MatrixVerdict; text: string; runDirs: { conformant: string; defects: string } }> {
  const expectations = loadExpectations();
  const checks = (await catalogue()).filter((c) => !opts.suites || opts.suites.includes(c.suite));
  const defectInv = loadLabInventory(resolve(opts.defectInventory));
  const defectBoards = defectInv.boards.map((b) => ({
    id: b.id,
    defects: b.virtual?.defects ? loadDefects(b.virtual.defects, b.virtual.kind) : [],
  }));
  const common = { reportsDir: opts.reportsDir, suites: opts.suites, parallel: opts.parallel };
  const good = await runConformance({ inventory: opts.conformantInventory, ...common });
  // a defect board runs the suites its defects concern: what is expected to FAIL there and what may FAIL with it
  const suiteOf = new Map<string, string>(checks.map((c) => [c.id, c.suite]));
  const suitesByBoard = Object.fromEntries(
    defectBoards.map((b) => {
      const mine = expectations.filter((e) => b.defects.some((d) => sameDefect(d, e.defect)));
      const ids = mine.flatMap((e) => [e.checkId, ...e.alsoFails]);
      return [b.id, [...new Set(ids.map((id) => suiteOf.get(id)).filter((s): s is string => !!s))]];
    }),
  );
  const runnable = defectBoards.filter((b) => suitesByBoard[b.id]!.length).map((b) => b.id);
  const bad = await runConformance({ inventory: opts.defectInventory, ...common, suitesByBoard, boards: runnable });
  const verdict = evaluateMatrix({
    catalogue: checks.map((c) => c.id),
    expectations: expectations.filter((e) => checks.some((c) => c.id === e.checkId)),
    conformant: [good.summary],
    defective: [bad.summary],
    defectBoards,
  });
  return { verdict, text: formatMatrix(verdict), runDirs: { conformant: good.runDir, defects: bad.runDir } };
}
