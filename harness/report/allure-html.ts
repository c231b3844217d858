import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { log } from '../core/log.ts';
import type { Summary } from './summary.ts';

/** A single-file, offline Allure report next to the results (allure 3, awesome plugin in single-file mode), its tree
 *  grouped by board, then suite (labels from allure-identity.ts); each board's verdict line heads the page. */
export async function writeAllureHtml(runDir: string, title: string, verdicts: Record<string, string> = {}): Promise<string | undefined> {
  const results = join(runDir, 'allure-results');
  if (!existsSync(results)) return undefined;
  const out = join(runDir, 'allure-report');
  const config = join(runDir, 'allurerc.mjs');
  writeFileSync(
    config,
    `export default ${JSON.stringify({ name: title, output: out, variables: verdicts, plugins: { awesome: { options: { singleFile: true, reportName: title, groupBy: ['board', 'suite'] } } } })};\n`,
  );
  const bin = join(dirname(fileURLToPath(import.meta.url)), '../../node_modules/allure/cli.js');
  const r = await execa(process.execPath, [bin, 'generate', results, '--config', config], {
    reject: false,
    timeout: 120_000,
    cwd: runDir,
  });
  if (r.exitCode !== 0) {
    log.warn(`allure report not generated: ${String(r.stderr || r.stdout).slice(0, 400)}`);
    return undefined;
  }
  const html = join(out, 'index.html');
  return existsSync(html) ? html : undefined;
}

/** Board -> its verdict and how complete it is, short enough for the report's head (the SKIP reasons are in summary.json). */
export function boardVerdicts(s: Pick<Summary, 'boards'>): Record<string, string> {
  return Object.fromEntries(
    s.boards.map((b) => {
      const t = b.totals;
      const rest = (['FAIL', 'INFRA', 'SKIP', 'NOT_RUN'] as const).filter((o) => t[o]).map((o) => `${t[o]} ${o}`);
      return [b.id, `${b.verdict}: ${b.completeness.checked}/${b.completeness.planned} checked${rest.length ? `, ${rest.join(', ')}` : ''}`];
    }),
  );
}
