import { relative } from 'node:path';
import type { Summary } from '../report/summary.ts';

/** The console verdict: one line per board, then every non-PASS check with its reason. */
export function printSummary(s: Summary, runDir: string, html?: string): void {
  const out: string[] = ['', `edgecert run ${s.runId}${s.complete ? '' : ' (INCOMPLETE)'}`];
  for (const b of s.boards) {
    const t = b.totals;
    out.push(`  ${b.id.padEnd(16)} ${b.profile.padEnd(22)} PASS ${t.PASS}  FAIL ${t.FAIL}  INFRA ${t.INFRA}  SKIP ${t.SKIP}  NOT_RUN ${t.NOT_RUN}`, `      ${b.verdictLine}`);
    if (b.infraError) out.push(`      board not run: ${b.infraError.split('\n')[0]!.slice(0, 200)}`);
    for (const c of b.checks.filter((c) => c.outcome === 'FAIL' || (c.outcome === 'INFRA' && !b.infraError))) out.push(`      ${c.outcome.padEnd(5)} ${c.id}: ${c.message.split('\n')[0]!.slice(0, 160)}`);
    for (const f of b.findings) out.push(`      FINDING ${f.checkId}: ${f.finding.slice(0, 160)}`);
  }
  const rel = relative(process.cwd(), runDir) || runDir;
  out.push('', `report: ${rel}/summary.json  ${rel}/junit.xml${html ? `  ${relative(process.cwd(), html)}` : ''}`, `exit code ${s.exitCode} (0 conformant, 1 non-conformant, 2 infra/usage)`, '');
  process.stdout.write(out.join('\n'));
}
