import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CMD, DEVICE_MAX_PAYLOAD, VERSION_MIN, VERSION_SKIP_CHECKSUM } from '../../lab/adbd/protocol.ts';
import { RawAdbHost } from '../../lab/adbd/raw-host.ts';
import { ADBD_EXIT } from '../../lab/adbd/server.ts';
import { spawnAdbd, type AdbdProcess } from '../../lab/adbd/spawn.ts';

// The board's adbd spoken to packet by packet (no adb server in between), to pin down the wire behaviour.

const dir = mkdtempSync(join(tmpdir(), 'edgecert-adbd-'));
const props = join(dir, 'build.prop');
writeFileSync(props, '# test board\nro.product.name=rk3568_r\nro.product.model=RK3568 EVB\nro.product.device=rk3568_dev\nro.hardware=rk30board\n');

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
function syncMsg(id: string, arg: number | string | Buffer): Buffer {
  const payload = typeof arg === 'number' ? Buffer.alloc(0) : Buffer.from(arg);
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(typeof arg === 'number' ? arg : payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** Send one WRTE on a sync stream and gather the device's replies until it goes quiet. */
async function exchange(h: RawAdbHost, remote: number, data: Buffer): Promise<Buffer> {
  h.send(CMD.WRTE, 1, remote, data);
  const replies: Buffer[] = [];
  for (let p = await h.poll(1000); p; p = await h.poll(200)) {
    if (p.command === CMD.WRTE) {
      replies.push(p.data);
      h.send(CMD.OKAY, 1, remote);
    }
  }
  return Buffer.concat(replies);
}

describe('virtual-lab adbd on the wire', () => {
  let adbd: AdbdProcess;
  const hosts: RawAdbHost[] = [];
  const host = async (opts?: { version?: number; maxdata?: number }) => {
    const h = await RawAdbHost.connect('127.0.0.1', adbd.port, opts);
    hosts.push(h);
    return h;
  };

  beforeAll(async () => {
    adbd = await spawnAdbd({ listen: '127.0.0.1:0', props, restartOnReboot: false });
  });
  afterEach(() => {
    for (const h of hosts.splice(0)) h.destroy();
  });
  afterAll(async () => {
    await adbd?.stop();
  });

  it('prints exactly one ready line naming the bound port', async () => {
    const main = join(import.meta.dirname, '../../lab/adbd/main.ts');
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const child = spawn(process.execPath, ['--import', tsx, main, '--listen', '127.0.0.1:0', '--props', props], {
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      expect(await until(() => out.includes('\n'), 15_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(out).toMatch(/^adbd listening on 127\.0\.0\.1:\d+\n$/);
      const port = Number(/:(\d+)\n/.exec(out)![1]);
      const h = await RawAdbHost.connect('127.0.0.1', port);
      h.destroy();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses bad usage with the documented exit code', async () => {
    const main = join(import.meta.dirname, '../../lab/adbd/main.ts');
    const child = spawn(process.execPath, ['--import', createRequire(import.meta.url).resolve('tsx'), main, '--listen', 'nope'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(ADBD_EXIT.USAGE);
  });

  it('answers CNXN with min(version, 0x01000001), 256 KiB and the props banner, without AUTH', async () => {
    const h = await host();
    expect(h.version).toBe(VERSION_SKIP_CHECKSUM);
    expect(h.maxPayload).toBe(DEVICE_MAX_PAYLOAD);
    expect(h.banner).toBe('device::ro.product.name=rk3568_r;ro.product.model=RK3568 EVB;ro.product.device=rk3568_dev;features=cmd');
    const old = await host({ version: VERSION_MIN });
    expect(old.version).toBe(VERSION_MIN);
  });

  it('answers an unknown service or an unreachable socket with CLSE(0, id)', async () => {
    const h = await host();
    expect(await h.open(7, 'jdwp:123')).toBeUndefined();
    expect(await h.open(8, 'tcp:1')).toBeUndefined();
    expect(await h.open(9, `localfilesystem:${join(dir, 'no.sock')}`)).toBeUndefined();
  });

  it('runs a legacy shell: stdout and stderr merged in order, no exit status', async () => {
    const h = await host();
    const remote = await h.open(1, 'shell:echo a; echo b >&2; echo c; exit 3');
    expect(remote).toBeGreaterThan(0);
    expect((await h.readToClose(1, remote!)).toString()).toBe('a\nb\nc\n');
  });

  it('keeps one WRTE in flight per stream until the host says OKAY, within the host maxdata', async () => {
    const h = await host({ maxdata: 4096 });
    const remote = (await h.open(1, 'shell:head -c 100000 /dev/zero'))!;
    const first = await h.next();
    expect(first.command).toBe(CMD.WRTE);
    expect(first.data.length).toBeLessThanOrEqual(4096);
    expect(await h.poll(300)).toBeUndefined();
    h.send(CMD.OKAY, 1, remote);
    const second = await h.next();
    expect(second.command).toBe(CMD.WRTE);
    h.send(CMD.OKAY, 1, remote);
    const rest = await h.readToClose(1, remote);
    expect(first.data.length + second.data.length + rest.length).toBe(100000);
  });

  it('never answers the host CLSE, and kills what the closed shell left running', async () => {
    const h = await host();
    const pidFile = join(dir, 'clse.pid');
    const remote = (await h.open(1, `shell:sleep 30 & echo $! > ${pidFile}; wait`))!;
    expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 5000)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    h.send(CMD.CLSE, 1, remote);
    expect(await h.poll(300)).toBeUndefined();
    expect(await until(() => !alive(pid), 3000)).toBe(true);
  });

  it('survives a host that vanishes mid-stream, and a host that sends garbage', async () => {
    const h = await host();
    const pidFile = join(dir, 'vanish.pid');
    await h.open(1, `shell:sleep 30 & echo $! > ${pidFile}; wait`);
    expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 5000)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    h.destroy();
    expect(await until(() => !alive(pid), 3000)).toBe(true);

    const bad = await host();
    bad.writeRaw(Buffer.alloc(24, 0x41));
    await bad.poll(500);
    expect(bad.isClosed).toBe(true);

    const after = await host();
    const r = (await after.open(1, 'shell:echo still here'))!;
    expect((await after.readToClose(1, r)).toString()).toBe('still here\n');
  });

  it('parses sync: as a byte stream (requests packed into one WRTE, and split across WRTEs)', async () => {
    const h = await host();
    const remote = (await h.open(1, 'sync:'))!;
    const path = join(dir, 'deep', 'er', 'f.bin');
    const data = Buffer.from('sync payload\n');
    const packed = Buffer.concat([
      syncMsg('STAT', join(dir, 'missing')),
      syncMsg('SEND', `${path},${0o100640}`),
      syncMsg('DATA', data),
      syncMsg('DONE', 1_600_000_000),
      syncMsg('STAT', path),
    ]);
    // split inside the SEND header: the device answers the first STAT and waits for the rest
    const cut = syncMsg('STAT', join(dir, 'missing')).length + 5;
    const first = await exchange(h, remote, packed.subarray(0, cut));
    expect(first.toString('latin1', 0, 4)).toBe('STAT');
    expect(first.readUInt32LE(4)).toBe(0);
    expect(first.length).toBe(16);
    const second = await exchange(h, remote, packed.subarray(cut));
    expect(second.toString('latin1', 0, 4)).toBe('OKAY');
    expect(second.toString('latin1', 8, 12)).toBe('STAT');
    expect(second.readUInt32LE(12) & 0o7777).toBe(0o640);
    expect(second.readUInt32LE(16)).toBe(data.length);
    expect(second.readUInt32LE(20)).toBe(1_600_000_000);
    expect(second.length).toBe(24);
    expect(readFileSync(path)).toEqual(data);

    h.send(CMD.WRTE, 1, remote, Buffer.concat([syncMsg('RECV', path), syncMsg('QUIT', 0)]));
    const got = await h.readToClose(1, remote);
    expect(got.toString('latin1', 0, 4)).toBe('DATA');
    expect(got.readUInt32LE(4)).toBe(data.length);
    expect(got.subarray(8, 8 + data.length)).toEqual(data);
    expect(got.toString('latin1', 8 + data.length, 12 + data.length)).toBe('DONE');
  });

  it('reboot: closes the links and exits with the documented code; the supervisor restarts it', async () => {
    const board = await spawnAdbd({ listen: '127.0.0.1:0', props });
    try {
      const pid = board.pid;
      const h = await RawAdbHost.connect('127.0.0.1', board.port);
      hosts.push(h);
      const remote = await h.open(1, 'reboot:');
      expect(remote).toBeGreaterThan(0);
      expect((await h.next()).command).toBe(CMD.CLSE);
      expect(await until(() => board.reboots === 1, 15_000)).toBe(true);
      expect(board.lastExitCode).toBe(ADBD_EXIT.REBOOT);
      expect(board.pid).not.toBe(pid);
      const again = await RawAdbHost.connect('127.0.0.1', board.port);
      hosts.push(again);
      expect(again.banner).toContain('ro.product.device=rk3568_dev');
    } finally {
      await board.stop();
    }
  });
});
