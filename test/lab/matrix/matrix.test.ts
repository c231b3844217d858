import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLabInventory } from '../../../lab/spec.ts';
import { DEFECT_LAB } from '../../../lab/matrix/paths.ts';
import { runMatrix } from '../../../lab/matrix/run-matrix.ts';
import { REPO_ROOT } from '../../../harness/cli/suite-files.ts';
import { labDown } from '../../../lab/lab.ts';

// The suite proves itself: the conformant virtual lab passes, every defect board fails exactly what it should.
const root = process.getuid?.() === 0;
const reportsDir = '/tmp/edgecert-matrix-reports';
const conformant = join(REPO_ROOT, 'devices.yaml');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe.skipIf(!root)('negative-conformance matrix on the virtual lab', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await labDown(loadLabInventory(DEFECT_LAB)).catch(() => undefined);
  }, 300_000);

  it('conformant boards pass, each defect trips its check, nothing unexpected fails', async () => {
    const { verdict, text, runDirs } = await runMatrix({ conformantInventory: conformant, defectInventory: DEFECT_LAB, reportsDir, parallel: 3 });
    process.stdout.write(`\n${text}\n`);
    expect(verdict.problems).toEqual([]);
    expect(verdict.fidelity.proven).toBeGreaterThan(0);
    dirs.push(runDirs.conformant, runDirs.defects);
  }, 40 * 60_000);

  it('the HTML report has one test per board x check: as many distinct Allure historyIds as verdicts', () => {
    expect(dirs).toHaveLength(2);
    for (const run of dirs) {
      const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { boards: { id: string; checks: unknown[] }[] };
      const verdicts = summary.boards.reduce((n, b) => n + b.checks.length, 0);
      const results = readdirSync(join(run, 'allure-results'))
        .filter((f) => f.endsWith('-result.json'))
        .map((f) => JSON.parse(readFileSync(join(run, 'allure-results', f), 'utf8')) as { historyId: string; labels: { name: string; value: string }[] });
      process.stdout.write(`${run}: ${verdicts} verdicts, ${results.length} Allure results, ${new Set(results.map((r) => r.historyId)).size} distinct historyIds\n`);
      expect(results).toHaveLength(verdicts);
      expect(new Set(results.map((r) => r.historyId)).size).toBe(verdicts);
      // grouped by board: every result names its board, and each board has exactly its planned checks
      for (const b of summary.boards) expect(results.filter((r) => r.labels.some((l) => l.name === 'board' && l.value === b.id))).toHaveLength(b.checks.length);
    }
  });

  it('reports carry no secret the lab planted (control-plane token, board token)', () => {
    const inv = loadLabInventory(conformant);
    const state = inv.lab.stateDir;
    const secrets = [readFileSync(join(state, 'virtual-lab/control-plane/token'), 'utf8').trim()];
    expect(secrets[0]!.length).toBeGreaterThan(10);
    const leaks = filesUnder(reportsDir).filter((f) => {
      const text = readFileSync(f, 'latin1');
      return secrets.some((s) => text.includes(s));
    });
    expect(leaks).toEqual([]);
  });
});
