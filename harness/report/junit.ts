import type { Summary } from './summary.ts';

const esc = (s: string) =>
  s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML for CI systems: FAIL is a <failure>, INFRA an <error> (not the board's fault), SKIP/NOT_RUN <skipped>. */
export function toJunit(s: Summary): string {
  const suites = s.boards.map((b) => {
    const cases = b.checks.map((c) => {
      const head = `    <testcase classname="${esc(`${b.id}.${c.suite}`)}" name="${esc(`${c.id}: ${c.title}`)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
      switch (c.outcome) {
        case 'PASS':
          return `${head}/>`;
        case 'FAIL':
          return `${head}>\n      <failure message="${esc(c.message.slice(0, 500))}" type="FAIL">${esc(c.message)}</failure>\n    </testcase>`;
        case 'INFRA':
          return `${head}>\n      <error message="${esc(c.message.slice(0, 500))}" type="INFRA">${esc(c.message)}</error>\n    </testcase>`;
        default:
          return `${head}>\n      <skipped message="${esc(`${c.outcome}: ${c.message}`.slice(0, 500))}"/>\n    </testcase>`;
      }
    });
    const t = b.totals;
    return `  <testsuite name="${esc(`${b.id} (${b.profile})`)}" tests="${b.checks.length}" failures="${t.FAIL}" errors="${t.INFRA}" skipped="${t.SKIP + t.NOT_RUN}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const t = s.totals;
  const all = Object.values(t).reduce((a, b) => a + b, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="edgecert ${esc(s.runId)}" tests="${all}" failures="${t.FAIL}" errors="${t.INFRA}" skipped="${t.SKIP + t.NOT_RUN}">\n${suites.join('\n')}\n</testsuites>\n`;
}
