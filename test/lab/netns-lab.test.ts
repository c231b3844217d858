import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabInventory } from '../../lab/spec.ts';
import type { LabInventory } from '../../lab/spec.ts';
import { labDown, labStatus, labUp } from '../../lab/lab.ts';
import { ENDPOINT, HDC_CLI, REPO_DIR, boardPaths } from '../../lab/netns/paths.ts';
import { boardLeftovers, labNetns, leftovers } from '../../lab/netns/sweep.ts';
import { portOpen } from '../../lab/netns/endpoint.ts';
import { readText } from '../../lab/netns/host.ts';

// The netns boards of the committed devices.yaml, brought up for real: own netns, mount ns, dockerd, sshd/adbd/hdcd.
const root = process.getuid?.() === 0;
const full = root ? loadLabInventory(join(REPO_DIR, 'devices.yaml')) : undefined;
const inv: LabInventory | undefined = full && { ...full, boards: full.boards.filter((b) => b.virtual?.kind === 'netns') };
const SSH_KEY = '/var/lib/edgecert/virtual-lab/ssh/id_ed25519';
const KNOWN_HOSTS = '/var/lib/edgecert/virtual-lab/ssh/known_hosts';

const ssh = (host: string, cmd: string) =>
  execa('ssh', ['-i', SSH_KEY, '-o', `UserKnownHostsFile=${KNOWN_HOSTS}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `root@${host}`, cmd], {
    reject: false,
    timeout: 60_000,
  });
const adb = (...args: string[]) => execa('adb', ['-s', '10.77.0.12:5555', ...args], { reject: false, timeout: 60_000 });
const hdc = (...args: string[]) => execa(HDC_CLI, ['-t', '10.77.0.13:8710', ...args], { reject: false, timeout: 60_000 });
const IDS = ['vl-linux-1', 'vl-android-1', 'vl-oh-1'];
const NOTHING = { netns: [], links: [], cgroups: [], loops: [], iptables: [], mounts: [], processes: [], endpoint: false };
const boot = (id: string) => Number(/^boot=(\d+)/m.exec(readText(boardPaths(inv!.lab.stateDir, id).status) ?? '')?.[1]);

describe.skipIf(!root)('netns boards of devices.yaml', () => {
  const measured: Record<string, unknown> = {};
  let adbServerBefore = true;

  beforeAll(async () => {
    adbServerBefore = await portOpen('127.0.0.1', 5037);
    // only these boards: other netns boards of the host may be another user's
    await labDown(inv!, { boards: IDS });
    const cold = await labUp(inv!, { boards: IDS });
    measured.coldUpMs = cold.ms;
    measured.coldPerBoardMs = Object.fromEntries(cold.boards.map((b) => [b.id, b.ms]));
    expect(cold.boards.every((b) => b.ok && b.action === 'started')).toBe(true);
  });

  afterAll(async () => {
    // also when a test failed: nothing of the lab may survive the file
    await labDown(inv!, { boards: IDS }).catch(() => undefined);
    // the lab starts the host's adb server when it needs one; a test leaves the host as it found it
    if (!adbServerBefore) await execa('adb', ['kill-server'], { reject: false });
    console.log(`netns lab measurements: ${JSON.stringify(measured, null, 1)}`);
  });

  it('a warm lab up checks every part and changes nothing', async () => {
    const warm = await labUp(inv!, { boards: IDS });
    measured.warmUpMs = warm.ms;
    expect(warm.boards.map((b) => b.action)).toEqual(['kept', 'kept', 'kept']);
    expect(warm.ms).toBeLessThan(3_000);
  });

  it('reaches the Linux board with the real ssh client and the pinned host key', async () => {
    const r = await ssh('10.77.0.11', 'hostname; getenforce; stat -c %a /etc/kubeedge/token; grep -c localhost /etc/hosts');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('vl-linux-1\nEnforcing\n600\n2');
  });

  it('reaches the Android board through the real adb server', async () => {
    const r = await adb('shell', 'getprop', 'ro.product.model');
    expect(r.stdout.trim()).toBe('rk3568_r');
    expect((await adb('shell', 'getprop ro.crypto.state; cat /etc/cgroups.json | grep -c Controller; hostname')).stdout.trim().split(/\s+/)).toEqual(['unencrypted', '8', 'vl-android-1']);
  });

  it('reaches the OpenHarmony board through the hdc stand-in', async () => {
    const r = await hdc('shell', 'param get const.product.model');
    expect(r.stdout.trim()).toBe('rk3568');
    expect((await hdc('shell', 'param get const.ohos.fullname; grep ^ID= /etc/os-release')).stdout.trim()).toBe('OpenHarmony-3.2.10.10\nID=openharmony');
  });

  it('runs containers on each board\'s own dockerd, with egress to the lab endpoint through NAT', async () => {
    const info = async (run: () => Promise<{ stdout: string }>) => (await run()).stdout.trim();
    const linux = await info(() => ssh('10.77.0.11', "docker info --format '{{.ID}} {{.Name}} {{.Driver}} {{.CgroupDriver}}'"));
    const oh = await info(() => hdc('shell', "docker info --format '{{.ID}} {{.Name}} {{.Driver}} {{.CgroupDriver}}'"));
    expect(linux).toMatch(/ vl-linux-1 overlay2 cgroupfs$/);
    expect(oh).toMatch(/ vl-oh-1 overlay2 cgroupfs$/);
    expect(linux.split(' ')[0]).not.toBe(oh.split(' ')[0]);
    const fs = await ssh('10.77.0.11', "docker info --format '{{json .DriverStatus}}'; stat -f -c %T /var/lib/docker");
    expect(fs.stdout).toContain('"Supports d_type","true"');
    expect(fs.stdout.trim().endsWith('ext2/ext3')).toBe(true);
    const body = await ssh('10.77.0.11', `docker run --rm edgecert/busybox:lab wget -qO- http://${ENDPOINT.address}:${ENDPOINT.port}/`);
    expect(body.stdout).toBe(ENDPOINT.body.trim());
    // `docker run` of the lab image, timed on the board itself
    const times = await ssh('10.77.0.11', 'for i in 1 2 3 4 5; do s=$(date +%s%N); docker run --rm edgecert/busybox:lab true; echo $(( ($(date +%s%N) - s) / 1000000 )); done');
    const ms = times.stdout.trim().split('\n').map(Number).sort((a, b) => a - b);
    measured.dockerRunMs = ms;
    expect(ms).toHaveLength(5);
    expect(ms[2]).toBeLessThan(10_000);
  });

  it('reports every board up, with the memory its dockerd and access daemon use', async () => {
    const s = await labStatus(inv!);
    expect(s.bridge).toMatchObject({ present: true, up: true, address: true, rules: 3 });
    expect(s.endpoint.running).toBe(true);
    expect(s.boards.map((b) => b.state)).toEqual(['up', 'up', 'up']);
    measured.rssKb = Object.fromEntries(s.boards.map((b) => [b.id, b.netns?.rssKb]));
    for (const b of s.boards) expect(b.netns!.rssKb!.dockerd).toBeGreaterThan(10_000);
  });

  it('repairs a board whose dockerd was killed', async () => {
    const before = (await labStatus(inv!, { boards: ['vl-linux-1'] })).boards[0]!.netns!;
    process.kill(before.dockerd.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect((await labStatus(inv!, { boards: ['vl-linux-1'] })).boards[0]!.state).toBe('degraded');
    const r = await labUp(inv!, { boards: ['vl-linux-1'] });
    expect(r.boards[0]!.action).toBe('repaired');
    expect((await ssh('10.77.0.11', 'docker run --rm edgecert/busybox:lab echo back')).stdout).toBe('back');
  });

  it('reboots through ssh, hdc and adb: services come back, containers do not survive', async () => {
    const before = { linux: boot('vl-linux-1'), oh: boot('vl-oh-1'), android: boot('vl-android-1') };
    await ssh('10.77.0.11', 'docker run -d edgecert/busybox:lab sleep 600');
    await ssh('10.77.0.11', 'reboot');
    await hdc('target', 'boot');
    await adb('reboot');
    const wait = async (probe: () => Promise<boolean>) => {
      for (let i = 0; i < 100; i++) {
        if (await probe()) return true;
        await new Promise((r) => setTimeout(r, 300));
      }
      return false;
    };
    expect(await wait(async () => boot('vl-linux-1') > before.linux && (await ssh('10.77.0.11', 'docker ps -q')).exitCode === 0)).toBe(true);
    expect(await wait(async () => boot('vl-oh-1') > before.oh && (await hdc('shell', 'docker ps -q; echo ok')).stdout.trim() === 'ok')).toBe(true);
    expect(await wait(async () => boot('vl-android-1') > before.android)).toBe(true);
    expect((await ssh('10.77.0.11', 'docker ps -q')).stdout).toBe('');
    // the adb server reconnects by itself only if asked: the lab's up does it
    const again = await labUp(inv!, { boards: IDS });
    expect(again.boards.every((b) => b.ok)).toBe(true);
    expect((await adb('shell', 'getprop', 'ro.product.model')).stdout.trim()).toBe('rk3568_r');
  });

  it('lab down leaves nothing: no netns, bridge, veth, cgroup, loop, mount, rule or process', async () => {
    const left = await labDown(inv!, { boards: IDS });
    expect(await boardLeftovers(inv!.lab.stateDir, inv!.boards.map((b) => ({ id: b.id, address: b.virtual!.address })))).toEqual({
      netns: [], links: [], cgroups: [], loops: [], mounts: [], processes: [],
    });
    // the shared parts go with the last board; on a host where others run boards they rightly stay
    if (!(await labNetns()).length) {
      expect(left).toEqual(NOTHING);
      expect(await leftovers(inv!.lab.stateDir)).toEqual(NOTHING);
    }
    expect((await execa('adb', ['devices'], { reject: false })).stdout).not.toContain('10.77.0.12');
    expect((await execa(HDC_CLI, ['list', 'targets'])).stdout).not.toContain('10.77.0.13');
  });
});
