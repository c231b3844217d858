// The CLI entry point as the virtual lab launches it: ready line on stdout, kubeconfig written, clean SIGTERM.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { waitFor } from '../../harness/core/wait.ts';

const MAIN = new URL('../../lab/control-plane/main.ts', import.meta.url).pathname;

describe('control plane CLI', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgecert-cp-cli-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('prints the ready line, writes a 0600 kubeconfig, serves, and exits 0 on SIGTERM', async () => {
    const child = execa(process.execPath, ['--import', 'tsx', MAIN, '--state-dir', dir, '--listen', '127.0.0.1:0'], { reject: false, cwd: new URL('../..', import.meta.url).pathname });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const { state } = await waitFor('the ready line', 20_000, async () => ({ done: /control plane listening on https:\/\/127\.0\.0\.1:\d+\n/.test(out), state: out }), { intervalMs: 50 });
      const url = /https:\/\/127\.0\.0\.1:\d+/.exec(state)![0];
      const kc = parse(await readFile(join(dir, 'kubeconfig'), 'utf8'));
      expect(kc['current-context']).toBe('virtual-lab');
      expect(kc.clusters[0].cluster).toEqual({ server: url, 'certificate-authority': join(dir, 'ca.crt') });
      expect(kc.users[0].user.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await stat(join(dir, 'kubeconfig'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'serving.key'))).mode & 0o777).toBe(0o600);
      // Served over TLS that verifies against the written CA, with the SANs the cert was issued for.
      const dispatcher = new Agent({ connect: { ca: await readFile(join(dir, 'ca.crt')) } });
      const res = await request(`${url}/version`, { dispatcher, headers: { authorization: `Bearer ${kc.users[0].user.token}` } });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { gitVersion: string }).gitVersion).toContain('virtual-lab');
      await dispatcher.close();
    } finally {
      child.kill('SIGTERM');
    }
    const result = await child;
    expect(result.exitCode).toBe(0);
  });

  it('keeps its CA and token across restarts, so a kubeconfig stays valid', async () => {
    const before = { ca: await readFile(join(dir, 'ca.crt'), 'utf8'), token: await readFile(join(dir, 'token'), 'utf8') };
    const child = execa(process.execPath, ['--import', 'tsx', MAIN, '--state-dir', dir, '--listen', '127.0.0.1:0'], { reject: false });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the ready line', 20_000, async () => ({ done: out.includes('listening'), state: out }), { intervalMs: 50 });
      expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(before.ca);
      expect(await readFile(join(dir, 'token'), 'utf8')).toBe(before.token);
    } finally {
      child.kill('SIGTERM');
    }
    expect((await child).exitCode).toBe(0);
  });

  it('exits 2 with a usage message for a bad --listen', async () => {
    const r = await execa(process.execPath, ['--import', 'tsx', MAIN, '--state-dir', dir, '--listen', 'nonsense'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--listen wants HOST:PORT');
  });
});
