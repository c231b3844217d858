// The virtual DAYU200 end to end: a real arm64 kernel under qemu, reached only through ssh (OpenSSH client against
// the guest's dropbear), docker on f2fs, an offline image — and the f2fs_module_missing defect really changes it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/core/wait.ts';
import { loadLabInventory, type LabBoard } from '../../lab/spec.ts';
import type { DefectSpec } from '../../lab/defects.ts';
import { findBoardQemu, alive } from '../../lab/qemu/process.ts';
import { boardPaths } from '../../lab/qemu/paths.ts';
import {
  ensureQemuArtefacts,
  GUEST_DOCKER_TCP_PORT,
  qemuBoardDown,
  qemuBoardStatus,
  qemuBoardUp,
} from '../../lab/qemu/index.ts';

const work = mkdtempSync(join(tmpdir(), 'edgecert-qemu-test-'));
const stateDir = join(work, 'state');
const key = join(work, 'id_ed25519');
const boards: LabBoard[] = [];
const forwards: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** The devices.yaml DAYU200 entry, with its own id and a free port so a running lab board is not disturbed. */
async function testBoard(id: string): Promise<LabBoard> {
  const inv = loadLabInventory(resolve(import.meta.dirname, '../../devices.yaml'));
  const tpl = inv.boards.find((b) => b.id === 'vl-dayu200-1');
  if (!tpl || tpl.transport.type !== 'ssh') throw new Error('devices.yaml has no ssh board vl-dayu200-1');
  const board: LabBoard = { ...tpl, id, transport: { ...tpl.transport, port: await freePort(), keyPath: key } };
  boards.push(board);
  return board;
}

function sshArgs(board: LabBoard, knownHosts: string): string[] {
  if (board.transport.type !== 'ssh') throw new Error('not ssh');
  return [
    '-i', key,
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-p', String(board.transport.port),
    `${board.transport.user}@${board.transport.host}`,
  ];
}

async function ssh(board: LabBoard, knownHosts: string, command: string): Promise<string> {
  const r = await execa('ssh', [...sshArgs(board, knownHosts), command], { timeout: 120_000, reject: false });
  if (r.exitCode !== 0) throw new Error(`ssh ${command} -> exit ${r.exitCode}: ${r.stderr}`);
  return String(r.stdout);
}

/** A local port forwarded over ssh (direct-tcpip) to the guest's loopback docker port. */
async function dockerForward(board: LabBoard, knownHosts: string): Promise<string> {
  const local = await freePort();
  const child = spawn(
    'ssh',
    ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${local}:127.0.0.1:${GUEST_DOCKER_TCP_PORT}`, ...sshArgs(board, knownHosts)],
    { stdio: 'ignore' },
  );
  forwards.push(child);
  const host = `tcp://127.0.0.1:${local}`;
  await waitFor(`docker API forwarded to ${host}`, 30_000, async () => {
    const r = await fetch(`http://127.0.0.1:${local}/_ping`).then((x) => x.text()).catch(() => '');
    return { done: r === 'OK', state: r };
  });
  return host;
}

async function docker(host: string, args: string[]): Promise<{ out: string; ms: number }> {
  const t0 = performance.now();
  const r = await execa('docker', ['-H', host, ...args], { timeout: 180_000, reject: false });
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(' ')} -> exit ${r.exitCode}: ${r.stderr}`);
  return { out: String(r.stdout).trim(), ms: Math.round(performance.now() - t0) };
}

function noQemuLeft(board: LabBoard): void {
  const pid = findBoardQemu(board.id, boardPaths(stateDir, board.id).pid);
  expect(pid === undefined || !alive(pid)).toBe(true);
}

beforeAll(async () => {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'edgecert-qemu-test', '-f', key]);
  const t0 = performance.now();
  const a = await ensureQemuArtefacts();
  console.log(`qemu artefacts ${a.cached ? 'cached' : 'built'} in ${Math.round(performance.now() - t0)} ms: ${a.kernelPackage.name} ${a.kernelPackage.version}`);
}, 900_000);

afterAll(async () => {
  for (const f of forwards) f.kill();
  for (const b of boards) await qemuBoardDown(b, { stateDir }).catch((e) => console.error(`down ${b.id}: ${e}`));
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('qemu board (virtual DAYU200)', () => {
  it('boots an arm64 OpenHarmony-like board with docker on f2fs, reached only through ssh', async () => {
    const board = await testBoard('vl-dayu200-t1');
    const authorizedKey = readFileSync(`${key}.pub`, 'utf8');
    const up = await qemuBoardUp(board, { stateDir, defects: [], authorizedKey });
    const port = board.transport.type === 'ssh' ? board.transport.port : 0;
    expect(up.hostKeyLine).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${port} ssh-ed25519 AAAA[A-Za-z0-9+/=]+$`));
    expect(up.kernelVersion).toMatch(/^6\.1\.0-\d+-arm64$/);
    const knownHosts = join(work, 'known_hosts');
    writeFileSync(knownHosts, `${up.hostKeyLine}\n`);

    expect((await ssh(board, knownHosts, 'uname -m')).trim()).toBe('aarch64');
    expect((await ssh(board, knownHosts, 'uname -r')).trim()).toBe(up.kernelVersion);
    // the board's personality and the seed-002 set-up, as the suites will read them
    const facts = await ssh(
      board,
      knownHosts,
      'grep ^ID= /etc/os-release; param get const.product.model; getenforce; stat -c %a /etc/kubeedge/token; ' +
        'ip rule; grep -c "^CONFIG_F2FS_FS=m" /boot/config-$(uname -r); grep localhost /etc/hosts; ' +
        'awk \'$2 == "/mnt/f2fs" { print "data-disk", $1, $3 }\' /proc/mounts; cat /proc/sys/net/ipv4/ip_forward',
    );
    expect(facts).toContain('ID=openharmony');
    expect(facts).toContain('DAYU200');
    expect(facts).toContain('Permissive');
    expect(facts).toMatch(/^600$/m);
    expect(facts).toMatch(/^1:\s+from all lookup main/m);
    expect(facts).toMatch(/^2:\s+from all lookup default/m);
    expect(facts).toMatch(/^127\.0\.0\.1\s+localhost/m);
    expect(facts).toMatch(/^data-disk \/dev\/vd[a-z] f2fs$/m);

    // the other way to the unix socket that works with dropbear: docker's own stdio bridge over an exec channel
    const ping = await execa('ssh', [...sshArgs(board, knownHosts), 'docker system dial-stdio'], {
      input: 'GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n',
      timeout: 60_000,
    });
    expect(String(ping.stdout)).toMatch(/^HTTP\/1\.0 200 OK/);

    const host = await dockerForward(board, knownHosts);
    const info = await docker(host, ['info', '--format', '{{.Driver}} {{json .DriverStatus}} {{.DockerRootDir}}']);
    expect(info.out).toMatch(/^overlay2 /);
    expect(info.out).toContain('["Backing Filesystem","f2fs"]');
    expect(info.out).toMatch(/\/mnt\/f2fs\/docker$/);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const r = await docker(host, ['run', '--rm', 'edgecert/busybox:lab', 'uname', '-m']);
      expect(r.out).toBe('aarch64');
      runs.push(r.ms);
    }

    const again = performance.now();
    const second = await qemuBoardUp(board, { stateDir, defects: [], authorizedKey });
    const againMs = Math.round(performance.now() - again);
    expect(second.hostKeyLine).toBe(up.hostKeyLine);
    expect(againMs).toBeLessThan(10_000);

    const st = await qemuBoardStatus(board, { stateDir });
    expect(st.running).toBe(true);
    expect(st.kernelVersion).toBe(up.kernelVersion);
    console.log(
      `qemu board: boot ${up.bootMs} ms, docker info ${info.ms} ms, docker run ${runs.join('/')} ms, ` +
        `second up ${againMs} ms, qemu RSS ${Math.round((st.rssKb ?? 0) / 1024)} MiB, kernel ${up.kernelVersion}`,
    );
    console.log(`qemu board record: ${readFileSync(boardPaths(stateDir, board.id).record, 'utf8')}`);

    await qemuBoardDown(board, { stateDir });
    expect((await qemuBoardStatus(board, { stateDir })).running).toBe(false);
    noQemuLeft(board);
  }, 600_000);

  it('f2fs_module_missing: the data disk is not mounted and docker falls back to a non-f2fs backing filesystem', async () => {
    const board = await testBoard('vl-dayu200-t2');
    const authorizedKey = readFileSync(`${key}.pub`, 'utf8');
    const up = await qemuBoardUp(board, { stateDir, defects: [{ name: 'f2fs_module_missing' }], authorizedKey });
    const knownHosts = join(work, 'known_hosts-t2');
    writeFileSync(knownHosts, `${up.hostKeyLine}\n`);
    const modules = await ssh(board, knownHosts, 'cut -d" " -f1 /proc/modules; grep -c " /mnt/f2fs " /proc/mounts || true');
    expect(modules.split('\n')).toContain('overlay');
    expect(modules.split('\n')).not.toContain('f2fs');
    expect(modules.trim().split('\n').at(-1)).toBe('0');
    const host = await dockerForward(board, knownHosts);
    const info = await docker(host, ['info', '--format', '{{.Driver}} {{json .DriverStatus}}']);
    expect(info.out).toMatch(/^overlay2 /);
    const backing = /\["Backing Filesystem","([^"]+)"\]/.exec(info.out)?.[1];
    expect(backing).toBeDefined();
    expect(backing).not.toBe('f2fs');
    await qemuBoardDown(board, { stateDir });
    noQemuLeft(board);
  }, 600_000);

  it('injects the other defects by real means inside the guest', async () => {
    const board = await testBoard('vl-dayu200-t3');
    const authorizedKey = readFileSync(`${key}.pub`, 'utf8');
    const defects: DefectSpec[] = [
      { name: 'ip_forward_off' },
      { name: 'no_rule_pref_1' },
      { name: 'kernel_config_without', arg: ['CONFIG_OVERLAY_FS', 'CONFIG_BRIDGE'] },
      { name: 'memory_stat_openharmony' },
      { name: 'selinux_enforcing' },
      { name: 'dockerd_tcp_open' },
      { name: 'data_root_not_f2fs' },
      { name: 'no_localhost_in_hosts' },
      { name: 'token_world_readable' },
    ];
    const up = await qemuBoardUp(board, { stateDir, defects, authorizedKey });
    const knownHosts = join(work, 'known_hosts-t3');
    writeFileSync(knownHosts, `${up.hostKeyLine}\n`);
    const sh = (cmd: string) => ssh(board, knownHosts, cmd).then((s) => s.trim());
    expect(await sh('cat /proc/sys/net/ipv4/ip_forward')).toBe('0');
    const rules = await sh('ip rule');
    expect(rules).not.toMatch(/^1:/m);
    expect(rules).toMatch(/^2:\s+from all lookup default/m);
    const cfg = await sh('grep -E "^(# )?CONFIG_(OVERLAY_FS|BRIDGE|F2FS_FS)[= ]" /boot/config-$(uname -r)');
    expect(cfg).toContain('# CONFIG_OVERLAY_FS is not set');
    expect(cfg).toContain('# CONFIG_BRIDGE is not set');
    expect(cfg).toContain('CONFIG_F2FS_FS=m');
    expect(await sh('grep "^Anon:" /sys/fs/cgroup/memory/memory.stat')).toMatch(/^Anon:\s+\d+ kB$/);
    expect(await sh('getenforce')).toBe('Enforcing');
    // Go listens on 0.0.0.0 as a dual-stack socket: netstat shows it as :::2375
    expect(await sh('netstat -ltn')).toMatch(/(0\.0\.0\.0|::):2375\s+\S+\s+LISTEN/);
    expect(await sh('grep -c localhost /etc/hosts || true')).toBe('0');
    expect(await sh('stat -c %a /etc/kubeedge/token')).toBe('644');
    const dockerRoot = await sh('docker info --format "{{.DockerRootDir}} {{json .DriverStatus}}"; grep -c " /mnt/f2fs f2fs " /proc/mounts');
    expect(dockerRoot).toMatch(/^\/var\/lib\/docker /);
    expect(dockerRoot).not.toContain('["Backing Filesystem","f2fs"]');
    expect(dockerRoot.split('\n').at(-1)).toBe('1'); // f2fs itself is fine, docker just does not use it
    await qemuBoardDown(board, { stateDir });
    noQemuLeft(board);
  }, 600_000);

  it('dockerd_stopped and kernel_config_missing: ssh works, dockerd and the config do not', async () => {
    const board = await testBoard('vl-dayu200-t4');
    const authorizedKey = readFileSync(`${key}.pub`, 'utf8');
    const defects: DefectSpec[] = [{ name: 'dockerd_stopped' }, { name: 'kernel_config_missing' }];
    const up = await qemuBoardUp(board, { stateDir, defects, authorizedKey });
    const knownHosts = join(work, 'known_hosts-t4');
    writeFileSync(knownHosts, `${up.hostKeyLine}\n`);
    const out = await ssh(board, knownHosts, 'pidof dockerd || echo no-dockerd; ls /boot; docker version >/dev/null 2>&1; echo docker=$?');
    expect(out).toContain('no-dockerd');
    expect(out).not.toContain('config-');
    expect(out).toMatch(/docker=[1-9]/);
    await qemuBoardDown(board, { stateDir });
    noQemuLeft(board);
  }, 600_000);

  it('refuses a defect it cannot inject, before booting anything', async () => {
    const board = await testBoard('vl-dayu200-t5');
    await expect(
      qemuBoardUp(board, { stateDir, defects: [{ name: 'cpuset_mems_empty' }], authorizedKey: readFileSync(`${key}.pub`, 'utf8') }),
    ).rejects.toMatchObject({ outcome: 'USAGE' });
    expect((await qemuBoardStatus(board, { stateDir })).running).toBe(false);
  });
});
