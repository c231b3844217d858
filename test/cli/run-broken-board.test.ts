// One board the lab cannot bring up never cancels the run: it is INFRA on every planned check, the other is judged.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLabInventory } from '../../lab/spec.ts';
import { labDown } from '../../lab/lab.ts';
import { REPO_DIR } from '../../lab/netns/paths.ts';

const root = process.getuid?.() === 0;
const BIN = join(import.meta.dirname, '../../harness/cli/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'edgecert-broken-'));
const inventory = join(dir, 'devices.yaml');
const board = (id: string, address: string, defects?: string) => `
  - id: ${id}
    model: virtual generic Linux (netns board)
    os: linux
    arch: amd64
    profile: generic-linux
    transport: { type: ssh, host: ${address}, port: 22, user: root, keyPath: /var/lib/edgecert/virtual-lab/ssh/id_ed25519, hostKey: /var/lib/edgecert/virtual-lab/ssh/known_hosts }
    provision: { kind: netns, address: ${address}${defects ? `, defects: ${defects}` : ''} }`;
writeFileSync(
  inventory,
  `apiVersion: edgecert/v1
lab:
  name: broken-board-test
  leases: { backend: file, ttlSeconds: 30, badAfter: 3 }
  stateDir: /var/lib/edgecert
  image: { tarball: /var/lib/edgecert/virtual-lab/images/edgecert-busybox.tar, ref: edgecert/busybox:lab }
  provision: { command: [node, ${join(REPO_DIR, 'lab/bin.js')}, provision] }
boards:${board('vl-run-ok', '10.77.0.94')}${board('vl-run-dead', '10.77.0.95', join(REPO_DIR, 'lab/defect-lab/defects/sshd_config_broken.yaml'))}
`,
);
const GREP = '^(NET-IP-FORWARD|NET-LOCALHOST-HOSTS|NET-CLOCK-SYNC):';

describe.skipIf(!root)('a run with one board that cannot be brought up', () => {
  afterAll(async () => {
    await labDown(loadLabInventory(inventory), { boards: ['vl-run-ok', 'vl-run-dead'] }).catch(() => undefined);
  }, 120_000);

  it('reports that board INFRA on every planned check with the reason, judges the other, exits by the rule', async () => {
    const reports = join(dir, 'reports');
    const r = await execa(process.execPath, [BIN, 'run', '--inventory', inventory, '--grep', GREP, '--reports-dir', reports], { reject: false, timeout: 300_000 });
    const run = join(reports, readdirSync(reports).sort().at(-1)!);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    const [ok, dead] = ['vl-run-ok', 'vl-run-dead'].map((id) => summary.boards.find((b: { id: string }) => b.id === id));
    expect(ok.checks.map((c: { outcome: string }) => c.outcome)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(ok.verdictLine).toBe('conformant (3/3 checked)');
    expect(dead.checks.map((c: { outcome: string }) => c.outcome)).toEqual(['INFRA', 'INFRA', 'INFRA']);
    expect(dead.infraError).toMatch(/^provisioning failed: .*vl-run-dead did not come up/);
    expect(dead.checks[0].message).toMatch(/provisioning failed/);
    expect(dead.verdict).toBe('incomplete');
    expect(summary.complete).toBe(true);
    // no FAIL anywhere, an INFRA: exit 2 (0 conformant, 1 non-conformant, 2 infra/usage)
    expect(summary.exitCode).toBe(2);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toMatch(/vl-run-dead .*INFRA 3/);
    expect(r.stdout).toMatch(/board not run: provisioning failed/);

    const junit = readFileSync(join(run, 'junit.xml'), 'utf8');
    expect(junit.match(/<error message="provisioning failed/g)?.length).toBe(3);
    // the HTML's source: one Allure result per board x check, the dead board's as broken, each its own test
    const results = readdirSync(join(run, 'allure-results'))
      .filter((f) => f.endsWith('-result.json'))
      .map((f) => JSON.parse(readFileSync(join(run, 'allure-results', f), 'utf8')) as { historyId: string; testCaseId: string; fullName: string; status: string; labels: { name: string; value: string }[] });
    expect(results).toHaveLength(6);
    expect(new Set(results.map((x) => x.historyId)).size).toBe(6);
    const boardOf = (x: (typeof results)[number]) => x.labels.find((l) => l.name === 'board')?.value;
    // the runner writes the dead board's tests with the identity allure-vitest gives the live board's: same test case
    const caseOf = (board: string) => results.filter((x) => boardOf(x) === board).map((x) => `${x.testCaseId} ${x.fullName}`).sort();
    expect(caseOf('vl-run-dead')).toEqual(caseOf('vl-run-ok'));
    expect(results.filter((x) => boardOf(x) === 'vl-run-dead').map((x) => x.status)).toEqual(['broken', 'broken', 'broken']);
    expect(results.filter((x) => boardOf(x) === 'vl-run-ok').map((x) => x.status)).toEqual(['passed', 'passed', 'passed']);
    expect(readdirSync(join(run, 'allure-report'))).toContain('index.html');
  }, 360_000);
});
