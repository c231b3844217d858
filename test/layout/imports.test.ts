// The product (harness/, suites/) never imports the virtual lab (lab/): the lab is test equipment that drives the
// product through its runner API and the inventory's provision hook, never the other way round.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const files = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap((n) => {
    const rel = join(dir, n);
    return statSync(join(ROOT, rel)).isDirectory() ? files(rel) : /\.(ts|mjs|js)$/.test(n) ? [rel] : [];
  });
// static imports, re-exports and dynamic import() of relative modules
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"`])(\.{1,2}\/[^'"`]+)\1/g;

export function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[2]!)));
}

describe('import rule', () => {
  it('finds the imports it judges (the rule is not vacuous)', () => {
    expect(importsOf('harness/runner.ts')).toContain('harness/provision.ts');
    expect(importsOf('lab/matrix/run-matrix.ts')).toContain('harness/runner.ts');
  });

  it('no file of harness/ or suites/ imports anything under lab/', () => {
    const product = [...files('harness'), ...files('suites')];
    expect(product.length).toBeGreaterThan(100);
    const leaks = product.flatMap((f) => importsOf(f).filter((t) => t === 'lab' || t.startsWith('lab/')).map((t) => `${f} -> ${t}`));
    expect(leaks).toEqual([]);
  });
});
