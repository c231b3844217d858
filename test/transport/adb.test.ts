import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { AdbTransport } from '../../harness/transport/adb.ts';
import { startAdbServer, type AdbServer } from '../../harness/transport/adb-server.ts';
import { spawnAdbd, type AdbdProcess } from '../../lab/adbd/spawn.ts';
import { transportConformance } from './conformance.ts';

// AdbTransport through the real Debian adb server (a private one on its own port) to the virtual-lab adbd.

const PROPS = join(import.meta.dirname, '../../lab/adbd/rk3568_r.prop');

async function errorOf(p: Promise<unknown>): Promise<EdgecertError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(EdgecertError);
  return e as EdgecertError;
}

describe('adb transport: adbkit -> adb server -> virtual-lab adbd', () => {
  let server: AdbServer;
  let adbd: AdbdProcess;
  let t: AdbTransport;
  const extra: AdbdProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'edgecert-adbt-'));
  const transportFor = (serial: string, id = 'vl-android') =>
    new AdbTransport({ type: 'adb', serial, server: { host: '127.0.0.1', port: server.port } }, id);

  beforeAll(async () => {
    server = await startAdbServer();
    adbd = await spawnAdbd({ listen: '127.0.0.1:0', props: PROPS });
    // no `adb connect` here: the transport connects host:port serials itself
    t = transportFor(adbd.serial);
  });
  afterAll(async () => {
    await t?.close();
    for (const d of [adbd, ...extra]) {
      if (!d) continue;
      await server?.adb(['disconnect', d.serial]);
      await d.stop();
    }
    await server?.stop();
  });

  transportConformance(() => t, { mergedStderr: true });

  it('reports stderr as empty (merged into stdout by the legacy shell)', async () => {
    const r = await t.exec('echo out; echo err >&2');
    expect(r).toMatchObject({ stdout: 'out\nerr\n', stderr: '', exitCode: 0, transport: 'adb', board: 'vl-android' });
  });

  it('feeds opts.stdin literally, and refuses what adb cannot carry', async () => {
    const text = `line 1\n'quoted' $(id) \`x\` ✓\nno newline`;
    expect((await t.exec('cat', { stdin: text })).stdout).toBe(text);
    expect((await t.exec('wc -c', { stdin: '' })).stdout.trim()).toBe('0');
    expect((await errorOf(t.exec('cat', { stdin: 'a\0b' }))).outcome).toBe('USAGE');
    expect((await errorOf(t.exec('cat', { stdin: 'x'.repeat(70_000) }))).outcome).toBe('USAGE');
  });

  it('does not hang on a command that reads stdin when none was given', async () => {
    const r = await t.exec('cat; echo done', { timeout: 5000 });
    expect(r).toMatchObject({ stdout: 'done\n', exitCode: 0, timedOut: false });
  });

  it('keeps output that lacks a newline before the marker, and a trailing comment', async () => {
    expect((await t.exec('printf abc; exit 5')).stdout).toBe('abc');
    const r = await t.exec('printf "x\\r\\n"; exit 4 # a comment');
    expect(r).toMatchObject({ stdout: 'x\r\n', exitCode: 4 });
  });

  it('times out within timeout + 1 s and kills the command on the board', async () => {
    const tag = `29.${Date.now() % 1000}7`;
    const start = performance.now();
    const r = await t.exec(`sleep ${tag}`, { timeout: 700 });
    expect(performance.now() - start).toBeLessThan(1700);
    expect(r).toMatchObject({ timedOut: true, exitCode: null });
    let left = '';
    for (let i = 0; i < 20; i++) {
      left = (await t.exec(`ps -eo args | grep -F "sleep ${tag}" | grep -v grep || true`)).stdout;
      if (!left) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(left).toBe('');
  });

  it('pushes and pulls 3 MiB byte-identically, and reports a missing remote file as INFRA', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(dir, 'big.bin'), data);
    const remote = join(dir, 'on-board', 'big.bin');
    await t.push(join(dir, 'big.bin'), remote, { mode: 0o600, timeout: 30_000 });
    expect((await t.exec(`stat -c %a ${remote}`)).stdout).toBe('600\n');
    await t.pull(remote, join(dir, 'back.bin'), { timeout: 30_000 });
    expect(readFileSync(join(dir, 'back.bin')).equals(data)).toBe(true);

    const e = await errorOf(t.pull(join(dir, 'missing.bin'), join(dir, 'missing.out')));
    expect(e.outcome).toBe('INFRA');
    expect(existsSync(join(dir, 'missing.out'))).toBe(false);
    expect((await errorOf(t.push(join(dir, 'no-such-local'), remote))).outcome).toBe('USAGE');
  });

  it('forwards a board TCP port, one board stream per connection', async () => {
    const echo = createServer((s) => s.on('error', () => {}).pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const fwd = await t.forward({ port: (echo.address() as { port: number }).port });
    try {
      const port = 'port' in fwd.local ? fwd.local.port : 0;
      const roundTrip = (msg: string) =>
        new Promise<string>((resolve, reject) => {
          // no half-close: adb streams have none, an end() would close the board side before the echo
          const s = connect(port, '127.0.0.1', () => s.write(msg));
          let got = '';
          s.on('data', (d: Buffer) => {
            got += d.toString();
            if (got.length >= msg.length) s.destroy();
          });
          s.on('close', () => resolve(got));
          s.on('error', reject);
        });
      expect(await Promise.all([roundTrip('one'), roundTrip('two'), roundTrip('three')])).toEqual(['one', 'two', 'three']);
    } finally {
      await fwd.close();
      echo.close();
    }
    // nothing listens there: the probe fails up front, as INFRA
    expect((await errorOf(t.forward({ socketPath: join(dir, 'no.sock') }))).outcome).toBe('INFRA');
  });

  it('reboots the board and waits until it is back', async () => {
    const board = await spawnAdbd({ listen: '127.0.0.1:0', props: PROPS });
    extra.push(board);
    const bt = transportFor(board.serial, 'vl-android-reboot');
    const pid = board.pid;
    await bt.reboot({ timeout: 30_000 });
    expect(board.reboots).toBe(1);
    expect(board.pid).not.toBe(pid);
    expect((await bt.exec('echo back')).stdout).toBe('back\n');
    await bt.close();
  });

  it('turns a board whose adbd died into INFRA errors, never a FAIL result', async () => {
    const board = await spawnAdbd({ listen: '127.0.0.1:0', props: PROPS });
    extra.push(board);
    const bt = transportFor(board.serial, 'vl-android-dies');
    expect((await bt.exec('true')).exitCode).toBe(0);
    // the link dies while a command runs: its status is unknown, which is the lab's failure, not the board's
    const running = errorOf(bt.exec('sleep 3; echo never'));
    await new Promise((r) => setTimeout(r, 300));
    await board.kill();
    const mid = await running;
    expect(mid.outcome).toBe('INFRA');
    expect(mid.message).toMatch(/link lost while a command ran/);
    const start = performance.now();
    const e = await errorOf(bt.exec('true'));
    expect(e.outcome).toBe('INFRA');
    expect(e.cause).toBeDefined();
    expect(performance.now() - start).toBeLessThan(12_000);
    expect((await errorOf(bt.waitOnline(600))).outcome).toBe('INFRA');
  });

  it('reports an unknown USB serial as INFRA', async () => {
    const e = await errorOf(transportFor('0123456789ABCDEF', 'vl-missing').exec('true'));
    expect(e.outcome).toBe('INFRA');
    expect(e.message).toMatch(/not found/);
  });
});
