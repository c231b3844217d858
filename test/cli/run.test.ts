import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../harness/cli/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'edgecert-cli-'));
const inventory = join(dir, 'devices.yaml');
writeFileSync(
  inventory,
  `apiVersion: edgecert/v1
lab: { name: cli-test, stateDir: ${dir}/state, leases: { ttlSeconds: 10 } }
boards:
  - { id: host, model: lab host, os: linux, arch: amd64, profile: generic-linux, transport: { type: local } }
`,
);
const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, cwd: dir, env: { EDGECERT_LOG: 'info' } });
const lastRun = (reports: string) => join(reports, readdirSync(reports).sort().at(-1)!);

describe('edgecert run (local board)', () => {
  it('writes summary, junit, per-check results and HTML, with an exit code matching the verdict', async () => {
    const reports = join(dir, 'r1');
    const r = await cli(['run', '--inventory', inventory, '--grep', '^NET-IP-FORWARD', '--reports-dir', reports]);
    const run = lastRun(reports);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';
    expect(summary.complete).toBe(true);
    expect(summary.boards[0].checks[0]).toMatchObject({ id: 'NET-IP-FORWARD', outcome: forwarding ? 'PASS' : 'FAIL' });
    expect(r.exitCode).toBe(forwarding ? 0 : 1);
    expect(summary.boards[0].facts.kernelRelease).toBeTruthy();
    const junit = readFileSync(join(run, 'junit.xml'), 'utf8');
    expect(junit).toContain('name="NET-IP-FORWARD: IPv4 forwarding is enabled"');
    expect(junit.includes('<failure')).toBe(!forwarding);
    const line = JSON.parse(readFileSync(join(run, 'results', 'host.jsonl'), 'utf8').trim().split('\n')[0]!);
    expect(line.commands[0].command).toContain('/proc/sys/net/ipv4/ip_forward');
    expect(existsSync(join(run, 'allure-report', 'index.html'))).toBe(true);
    expect(readdirSync(join(run, 'allure-results')).some((f) => f.endsWith('-result.json'))).toBe(true);
  });

  it('a run stopped by SIGTERM leaves a readable partial report, exits 2 and frees its board', async () => {
    const reports = join(dir, 'r2');
    const child = spawn(process.execPath, [BIN, 'run', '--inventory', inventory, '--reports-dir', reports], { cwd: dir, stdio: 'pipe' });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((res) => {
      const t = setInterval(() => {
        if (out.includes('report in')) {
          clearInterval(t);
          res();
        }
      }, 20);
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(2);
    const summary = JSON.parse(readFileSync(join(lastRun(reports), 'summary.json'), 'utf8'));
    expect(summary.complete).toBe(false);
    expect(summary.boards[0].checks.length).toBeGreaterThan(0);
    expect(summary.boards[0].verdictLine).toMatch(/^[a-z-]+ \(\d+\/\d+ checked/);
    // every planned check is a test of the HTML, those the run never reached included (status unknown)
    const allureDir = join(lastRun(reports), 'allure-results');
    const results = readdirSync(allureDir).filter((f) => f.endsWith('-result.json')).map((f) => JSON.parse(readFileSync(join(allureDir, f), 'utf8')));
    expect(new Set(results.map((r: { historyId: string }) => r.historyId)).size).toBe(summary.boards[0].checks.length);
    const notRun = summary.boards[0].checks.filter((c: { outcome: string }) => c.outcome === 'NOT_RUN').length;
    expect(results.filter((r: { status?: string }) => r.status === undefined)).toHaveLength(notRun);
    const status = await cli(['boards', '--inventory', inventory]);
    expect(status.stdout).toMatch(/host\s+free/);
  });

  it('bad input is one clear error naming the file and path, exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: edgecert/v1\nlab: { name: x }\nboards:\n  - { id: Bad_Id, model: m, os: linux, arch: amd64, profile: generic-linux, transport: { type: local } }\n');
    const r = await cli(['run', '--inventory', bad]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${bad}:4: inventory at \`boards[0].id\``);
    const u = await cli(['run', '--inventory', inventory, '--suite', 'nosuch']);
    expect(u.exitCode).toBe(2);
    expect(u.stderr).toMatch(/--suite nosuch: no such suite/);
    const p = await cli(['run', '--inventory', inventory, '--profile', 'nosuch']);
    expect(p.exitCode).toBe(2);
    expect(p.stderr).toMatch(/profile `nosuch`: .*nosuch\.yaml does not exist/);
  });
});

describe('edgecert run --certify', () => {
  it('writes a SHA256SUMS bundle a reviewer can verify offline and counts a SKIP against the board', async () => {
    const reports = join(dir, 'r3');
    const r = await cli(['run', '--inventory', inventory, '--grep', '^(NET-IP-FORWARD|NET-TETHERCTRL-FORWARD)', '--reports-dir', reports, '--certify']);
    const run = lastRun(reports);
    const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8'));
    expect(summary.certify).toBe(true);
    // generic-linux declares NET-TETHERCTRL-FORWARD not applicable: a SKIP, which certification does not accept
    expect(summary.boards[0].checks.find((c: { id: string }) => c.id === 'NET-TETHERCTRL-FORWARD').outcome).toBe('SKIP');
    expect(summary.boards[0].verdict).toBe('non-conformant');
    expect(r.exitCode).toBe(1);
    const check = await execa('sha256sum', ['-c', 'SHA256SUMS'], { cwd: run, reject: false });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toContain('summary.json: OK');
  });
});

describe('edgecert run on a real lab with a board that fails its health check', () => {
  it('reports that board INFRA on each planned check with the reason, runs the other, exits 2', async () => {
    const key = join(dir, 'id_unused');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const lab = join(dir, 'real-lab.yaml');
    // nothing listens on 127.0.0.1:9: the ssh health check of the board cannot connect
    writeFileSync(
      lab,
      `apiVersion: edgecert/v1
lab: { name: cli-health, stateDir: ${dir}/state-health, leases: { ttlSeconds: 10 } }
boards:
  - { id: host, model: lab host, os: linux, arch: amd64, profile: generic-linux, transport: { type: local } }
  - { id: unplugged, model: a board with no network, os: linux, arch: arm64, profile: generic-linux, transport: { type: ssh, host: 127.0.0.1, port: 9, user: root, keyPath: ${key}, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk1dL7xNq0dA7w3oDWpbsP0uqTEe0nT0q8u8eZP9yZr" } }
`,
    );
    const reports = join(dir, 'r5');
    const r = await cli(['run', '--inventory', lab, '--grep', '^NET-IP-FORWARD:', '--reports-dir', reports]);
    const summary = JSON.parse(readFileSync(join(lastRun(reports), 'summary.json'), 'utf8'));
    const [host, unplugged] = summary.boards;
    expect(host.checks[0].outcome).toMatch(/^(PASS|FAIL)$/);
    expect(unplugged.checks.map((c: { outcome: string }) => c.outcome)).toEqual(['INFRA']);
    expect(unplugged.infraError).toMatch(/lease not obtained: .*unplugged.*failed its health check during this acquire: .*(ECONNREFUSED|connect)/);
    expect(r.exitCode).toBe(host.checks[0].outcome === 'FAIL' ? 1 : 2);
    const status = await cli(['boards', '--inventory', lab]);
    expect(status.stdout).toMatch(/unplugged\s+free/);
  }, 120_000);
});

