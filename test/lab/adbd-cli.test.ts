import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAdbServer, type AdbServer } from '../../harness/transport/adb-server.ts';
import { spawnAdbd, type AdbdProcess } from '../../lab/adbd/spawn.ts';

// The real Debian adb CLI and server against the virtual board's adbd: if these pass, so would a lab engineer's hands.

const PROPS = join(import.meta.dirname, '../../lab/adbd/rk3568_r.prop');

describe('adb CLI against the virtual-lab adbd', () => {
  let server: AdbServer;
  let adbd: AdbdProcess;
  const dir = mkdtempSync(join(tmpdir(), 'edgecert-adbcli-'));
  const adb = (...args: string[]) => server.adb(['-s', adbd.serial, ...args]);

  beforeAll(async () => {
    server = await startAdbServer();
    adbd = await spawnAdbd({ listen: '127.0.0.1:0', props: PROPS });
    const c = await server.adb(['connect', adbd.serial]);
    expect(c.stdout).toMatch(/connected to/);
    await server.adb(['-s', adbd.serial, 'wait-for-device'], { timeout: 10_000 });
  });
  afterAll(async () => {
    if (server && adbd) await server.adb(['disconnect', adbd.serial]);
    await adbd?.stop();
    await server?.stop();
  });

  it('lists the board with the identity from its props file', async () => {
    const r = await server.adb(['devices', '-l']);
    expect(r.stdout).toMatch(new RegExp(`${adbd.serial.replace(/\./g, '\\.')}\\s+device product:rk3568_r model:rk3568_r device:rk3568_r`));
  });

  it('runs `adb shell` (legacy: merged output, exit status lost)', async () => {
    expect((await adb('shell', 'echo', 'hi')).stdout).toBe('hi');
    const r = await adb('shell', 'echo out; echo err >&2; exit 7');
    expect(r.stdout).toBe('out\nerr');
    expect(r.exitCode).toBe(0);
  });

  it('pushes and pulls a 3 MiB random file byte-identically', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(dir, 'in.bin'), data);
    const remote = join(dir, 'board', 'r3.bin');
    const push = await adb('push', join(dir, 'in.bin'), remote);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(readFileSync(remote).equals(data)).toBe(true);
    const pull = await adb('pull', remote, join(dir, 'out.bin'));
    expect(pull.exitCode, pull.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out.bin')).equals(data)).toBe(true);
    const missing = await adb('pull', join(dir, 'nope'), join(dir, 'nope.out'));
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/does not exist/);
  });

  it('forwards a host port to a board TCP port (adb forward tcp:X tcp:Y)', async () => {
    const echo: Server = createServer((s) => s.on('error', () => {}).pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const boardPort = (echo.address() as { port: number }).port;
    const local = await freePort();
    try {
      const f = await adb('forward', `tcp:${local}`, `tcp:${boardPort}`);
      expect(f.exitCode, f.stderr).toBe(0);
      const payload = randomBytes(200_000);
      const back = await new Promise<Buffer>((resolve, reject) => {
        const parts: Buffer[] = [];
        let got = 0;
        const s = connect(local, '127.0.0.1', () => s.write(payload));
        s.on('data', (d: Buffer) => {
          parts.push(d);
          got += d.length;
          if (got >= payload.length) {
            s.destroy();
            resolve(Buffer.concat(parts));
          }
        });
        s.on('error', reject);
      });
      expect(back.equals(payload)).toBe(true);
    } finally {
      await adb('forward', '--remove', `tcp:${local}`);
      echo.close();
    }
  });
});
