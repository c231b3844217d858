import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdcTransport } from '../../harness/transport/hdc.ts';
import { HDC_CLI, REPO_DIR } from '../../lab/netns/paths.ts';
import { freePort } from '../helpers/sshd.ts';
import { transportConformance } from '../transport/conformance.ts';

const HDCD = join(REPO_DIR, 'lab/hdc/hdcd.mjs');

// The stand-in against a real hdcd on loopback: no namespace needed, so this runs without the lab.
describe('hdc stand-in CLI and hdcd', () => {
  let dir: string;
  let daemon: ChildProcess;
  let key: string;
  const savedState = process.env.EDGECERT_HDC_STATE;
  const hdc = async (...args: string[]) => {
    const r = await execa(HDC_CLI, args, { reject: false, timeout: 20_000, stripFinalNewline: false });
    return { code: r.exitCode, out: String(r.stdout), err: String(r.stderr) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgecert-hdc-test-'));
    // an isolated "server" state, so this test never sees the lab's targets
    process.env.EDGECERT_HDC_STATE = join(dir, 'state');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'reboot'), `#!/bin/sh\necho rebooted >>${join(dir, 'reboots')}\n`);
    chmodSync(join(bin, 'reboot'), 0o755);
    const port = await freePort();
    key = `127.0.0.1:${port}`;
    daemon = spawn(process.execPath, [HDCD, '--listen', key], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      daemon.stdout!.once('data', (d: Buffer) => (String(d).startsWith(`hdcd listening on ${key}`) ? resolve() : reject(new Error(String(d)))));
      daemon.once('exit', (c) => reject(new Error(`hdcd exited ${c}`)));
    });
  });

  afterAll(async () => {
    await hdc('kill');
    daemon?.kill('SIGTERM');
    if (savedState === undefined) delete process.env.EDGECERT_HDC_STATE;
    else process.env.EDGECERT_HDC_STATE = savedState;
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists no target before tconn, then the connect key; tconn twice says so', async () => {
    expect((await hdc('list', 'targets')).out).toBe('[Empty]\n');
    expect((await hdc('tconn', key)).out).toBe('Connect OK\n');
    expect((await hdc('tconn', key)).out).toBe('[Info]Target is connected, repeat operation\n');
    expect((await hdc('list', 'targets')).out).toBe(`${key}\n`);
    expect((await hdc('list', 'targets', '-v')).out).toMatch(new RegExp(`^${key}\\s+TCP\\s+Connected\\s`));
  });

  it('fails like real hdc for an unknown key or an unreachable device, with exit status 0', async () => {
    const r = await hdc('-t', '127.0.0.1:1', 'shell', 'true');
    expect(r).toMatchObject({ code: 0, out: '[Fail]Not match target founded, check connect-key please\n' });
    expect((await hdc('tconn', '127.0.0.1:1')).out).toBe('[Fail]Connect failed\n');
  });

  it('shell merges stderr into stdout and does not return the exit status', async () => {
    const r = await hdc('-t', key, 'shell', 'echo out; echo err >&2; exit 7');
    expect(r.code).toBe(0);
    expect(r.out).toBe('out\nerr\n');
    // real hdc joins the remaining words into one command line
    expect((await hdc('-t', key, 'shell', 'echo', 'a', 'b')).out).toBe('a b\n');
  });

  it('ends the session when the command exits, even if a background job keeps the output open', async () => {
    const t0 = Date.now();
    const r = await hdc('-t', key, 'shell', 'sleep 30 & echo started $!');
    expect(r.out).toMatch(/^started \d+\n$/);
    expect(Date.now() - t0).toBeLessThan(5_000);
    process.kill(Number(r.out.split(' ')[1]), 'SIGKILL');
  });

  it('sends and receives files with real hdc wording', async () => {
    const local = join(dir, 'payload.bin');
    const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    writeFileSync(local, data);
    const remote = join(dir, 'remote.bin');
    const sent = await hdc('-t', key, 'file', 'send', local, remote);
    expect(sent.out).toMatch(/^FileTransfer finish, Size:70000, File count = 1, time:\d+ms rate:[\d.]+kB\/s\n$/);
    expect(readFileSync(remote).equals(data)).toBe(true);
    const back = join(dir, 'back.bin');
    expect((await hdc('-t', key, 'file', 'recv', remote, back)).out).toMatch(/^FileTransfer finish, Size:70000,/);
    expect(readFileSync(back).equals(data)).toBe(true);
    expect((await hdc('-t', key, 'file', 'send', join(dir, 'missing'), remote)).out).toMatch(/^\[Fail\]Error opening file: no such file or directory, path:/);
    expect((await hdc('-t', key, 'file', 'recv', join(dir, 'missing'), back)).out).toMatch(/^\[Fail\]Error opening file: no such file or directory/);
  });

  it('forwards tcp and localfilesystem, lists and removes rules with real hdc wording', async () => {
    const tcpServer: Server = createServer((s) => s.end('tcp-ok'));
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    const sockPath = join(dir, 'unix.sock');
    const unixServer: Server = createServer((s) => s.end('unix-ok'));
    await new Promise<void>((r) => unixServer.listen(sockPath, r));
    const rport = (tcpServer.address() as { port: number }).port;
    const [l1, l2] = [await freePort(), await freePort()];
    try {
      expect((await hdc('-t', key, 'fport', `tcp:${l1}`, `tcp:${rport}`)).out).toBe('Forwardport result:OK\n');
      expect((await hdc('-t', key, 'fport', `tcp:${l2}`, `localfilesystem:${sockPath}`)).out).toBe('Forwardport result:OK\n');
      expect((await hdc('-t', key, 'fport', `tcp:${l1}`, `tcp:${rport}`)).out).toBe(`[Fail]TCP Port listen failed at ${l1}\n`);
      expect((await hdc('-t', key, 'fport', 'udp:1', 'tcp:2')).out).toBe('[Fail]Incorrect forward command\n');
      expect(await readAll(l1)).toBe('tcp-ok');
      expect(await readAll(l2)).toBe('unix-ok');
      const ls = (await hdc('fport', 'ls')).out;
      expect(ls).toContain(`${key}    tcp:${l1} tcp:${rport}    [Forward]`);
      expect(ls).toContain(`${key}    tcp:${l2} localfilesystem:${sockPath}    [Forward]`);
      expect((await hdc('fport', 'rm', `tcp:${l1}`, `tcp:${rport}`)).out).toBe(`Remove forward ruler success, ruler:tcp:${l1} tcp:${rport}\n`);
      expect((await hdc('fport', 'rm', `tcp:${l1} tcp:${rport}`)).out).toBe(`[Fail]Remove forward ruler failed, ruler is not exist tcp:${l1} tcp:${rport}\n`);
      // the removed rule's listener is really gone
      await expect(readAll(l1)).rejects.toThrow();
    } finally {
      await hdc('fport', 'rm', `tcp:${l2}`, `localfilesystem:${sockPath}`);
      tcpServer.close();
      unixServer.close();
    }
    expect((await hdc('fport', 'ls')).out).toBe('[Empty]\n');
  });

  it('target boot runs the board reboot tool', async () => {
    expect((await hdc('-t', key, 'target', 'boot')).out).toBe('');
    await waitUntil(() => existsSync(join(dir, 'reboots')));
    expect(readFileSync(join(dir, 'reboots'), 'utf8')).toBe('rebooted\n');
  });

  describe('through the hdc transport', () => {
    transportConformance(() => new HdcTransport({ type: 'hdc', connectKey: key, hdcPath: HDC_CLI }, 'test-hdc'), { mergedStderr: true });
  });
});

function readAll(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port });
    let text = '';
    c.on('data', (d) => (text += d));
    c.on('end', () => resolve(text));
    c.on('error', reject);
    c.setTimeout(5_000, () => reject(new Error('timeout')));
  });
}

async function waitUntil(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}
