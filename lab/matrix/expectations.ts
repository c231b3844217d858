import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { usage } from '../../harness/core/errors.ts';
import { loadYamlFile } from '../../harness/inventory/load.ts';

// The negative-conformance matrix: for each check, the defect that must make it FAIL. Data, reviewed like code.
export const MATRIX_DIR = dirname(fileURLToPath(import.meta.url));

const DefectRef = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
const Expectation = z.strictObject({
  defect: DefectRef,
  /** other checks that may FAIL on the same defect board (consequences of the same defect) */
  alsoFails: z.array(z.string()).default([]),
  /** outcomes that count as the check catching the defect (default FAIL; INFRA only for deliberately broken links) */
  outcomes: z.array(z.enum(['FAIL', 'INFRA'])).default(['FAIL']),
});
const ExpectationsFile = z
  .object({
    proposedDefects: z.unknown().optional(),
  })
  .catchall(Expectation);

export interface MatrixEntry {
  checkId: string;
  defect: { name: string; arg?: unknown };
  alsoFails: string[];
  outcomes: ('FAIL' | 'INFRA')[];
  file: string;
}

export function defectKey(d: { name: string; arg?: unknown }): string {
  return d.arg === undefined ? d.name : `${d.name}: ${JSON.stringify(d.arg)}`;
}

export function sameDefect(a: { name: string; arg?: unknown }, b: { name: string; arg?: unknown }): boolean {
  return a.name === b.name && isDeepStrictEqual(a.arg ?? null, b.arg ?? null);
}

/** Every expectations-*.yaml of lab/matrix/, merged; a check listed twice is an error naming both files. */
export function loadExpectations(dir = MATRIX_DIR): MatrixEntry[] {
  const out = new Map<string, MatrixEntry>();
  for (const f of readdirSync(dir).filter((n) => /^expectations-.*\.yaml$/.test(n)).sort()) {
    const file = join(dir, f);
    const { data } = loadYamlFile(file, ExpectationsFile, 'negative-conformance expectations');
    for (const [checkId, raw] of Object.entries(data)) {
      if (checkId === 'proposedDefects') continue;
      const e = raw as z.infer<typeof Expectation>;
      const prev = out.get(checkId);
      if (prev) throw usage(`${file}: \`${checkId}\` is already expected in ${prev.file}`);
      const defect = typeof e.defect === 'string' ? { name: e.defect } : (() => {
        const [[name, arg]] = Object.entries(e.defect) as [[string, unknown]];
        return { name, arg };
      })();
      out.set(checkId, { checkId, defect, alsoFails: e.alsoFails, outcomes: e.outcomes, file });
    }
  }
  return [...out.values()];
}
