import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../harness/inventory/load.ts';
import { DEFECT_LAB } from '../../harness/matrix/paths.ts';
import { runMatrix } from '../../harness/matrix/run-matrix.ts';
import { REPO_ROOT } from '../../harness/cli/suite-files.ts';
import { labDown } from '../../harness/virtual-lab/lab.ts';

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
  afterAll(async () => {
    await labDown(loadInventory(DEFECT_LAB)).catch(() => undefined);
  }, 300_000);

  it('conformant boards pass, each defect trips its check, nothing unexpected fails', async () => {
    const { verdict, text } = await runMatrix({ conformantInventory: conformant, defectInventory: DEFECT_LAB, reportsDir, parallel: 3 });
    process.stdout.write(`\n${text}\n`);
    expect(verdict.problems).toEqual([]);
    expect(verdict.fidelity.proven).toBeGreaterThan(0);
  }, 40 * 60_000);

  it('reports carry no secret the lab planted (control-plane token, board token)', () => {
    const inv = loadInventory(conformant);
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
