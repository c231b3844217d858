import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { shQuote } from '../../harness/core/quote.ts';
import type { Transport } from '../../harness/transport/types.ts';

export const HOSTILE = [`'; rm -rf / #`, '$(id)', '`id`', 'a\nb', 'ünïcødé ✓', '"double" and \\back', '-n', '*', '$HOME', ''];

/** The behaviour every transport must share, run against a real endpoint. */
export function transportConformance(get: () => Transport, opts: { mergedStderr?: boolean } = {}): void {
  it('reports exit codes 0, 1 and 42', async () => {
    const t = get();
    expect((await t.exec('true')).exitCode).toBe(0);
    expect((await t.exec('false')).exitCode).toBe(1);
    const r = await t.exec('exit 42');
    expect(r.exitCode).toBe(42);
    expect(r.timedOut).toBe(false);
    expect(r.board).toBeTruthy();
  });

  it('keeps stdout exact, with and without a trailing newline', async () => {
    const t = get();
    expect((await t.exec('printf "a\\nb\\n"')).stdout).toBe('a\nb\n');
    expect((await t.exec('printf "no-newline"')).stdout).toBe('no-newline');
    expect((await t.exec('printf "__EDGECERT_EXIT_fake_0\\n"; exit 3')).stdout).toBe('__EDGECERT_EXIT_fake_0\n');
  });

  it(opts.mergedStderr ? 'merges stderr into stdout (transport limitation)' : 'keeps stderr apart', async () => {
    const r = await get().exec('echo out; echo err >&2');
    if (opts.mergedStderr) expect(r.stdout).toContain('err');
    else {
      expect(r.stdout).toBe('out\n');
      expect(r.stderr).toBe('err\n');
    }
  });

  it('times out a command that runs too long', async () => {
    const start = Date.now();
    const r = await get().exec('sleep 20', { timeout: 800 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(Date.now() - start).toBeLessThan(3000);
  });

  it('passes hostile values through shQuote literally', async () => {
    for (const v of HOSTILE) {
      const r = await get().exec(`printf '%s' ${shQuote(v)}`);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(v);
    }
  });

  it('pushes and pulls a binary file byte-identically', async () => {
    const t = get();
    const dir = mkdtempSync(join(tmpdir(), 'edgecert-xfer-'));
    const data = randomBytes(300_000);
    writeFileSync(join(dir, 'in.bin'), data);
    const remote = `/tmp/edgecert-xfer-${randomBytes(4).toString('hex')}.bin`;
    await t.push(join(dir, 'in.bin'), remote, { mode: 0o640 });
    expect((await t.exec(`stat -c %a ${remote}`)).stdout.trim()).toBe('640');
    await t.pull(remote, join(dir, 'out.bin'));
    expect(readFileSync(join(dir, 'out.bin')).equals(data)).toBe(true);
    await t.exec(`rm -f ${remote}`);
  });

  it('forwards a board unix socket to a local port', async () => {
    const t = get();
    const sock = join(mkdtempSync(join(tmpdir(), 'edgecert-fwd-')), 'http.sock');
    const server = createServer((_, res) => res.end('through the forward')).listen(sock);
    await new Promise((r) => server.once('listening', r));
    const fwd = await t.forward({ socketPath: sock });
    try {
      const port = 'port' in fwd.local ? fwd.local.port : 0;
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).toBe('through the forward');
    } finally {
      await fwd.close();
      server.close();
    }
  });
}
