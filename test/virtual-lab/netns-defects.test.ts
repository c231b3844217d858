import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { loadInventory } from '../../harness/inventory/load.ts';
import { DEFECTS, parseDefects } from '../../harness/virtual-lab/defects.ts';
import { labDown, labUp } from '../../harness/virtual-lab/lab.ts';
import { ENDPOINT, REPO_DIR, netnsName } from '../../harness/virtual-lab/netns/paths.ts';
import { labNetns } from '../../harness/virtual-lab/netns/sweep.ts';

// Defects are injected by real means and observed from inside the board, the way a check would see them.
const root = process.getuid?.() === 0;
const inv = root ? loadInventory(join(REPO_DIR, 'harness/virtual-lab/defect-lab/devices.yaml')) : undefined;
const BOARDS = { pair: 'vl-defect-forward-and-hosts', cpuset: 'vl-defect-cpuset-mems-empty', garbage: 'vl-defect-garbage-output' };
const addr = (id: string) => inv!.boards.find((b) => b.id === id)!.virtual!.address!;
const ssh = (id: string, cmd: string) =>
  execa(
    'ssh',
    ['-i', '/var/lib/edgecert/virtual-lab/ssh/id_ed25519', '-o', 'UserKnownHostsFile=/var/lib/edgecert/virtual-lab/ssh/known_hosts', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${addr(id)}`, cmd],
    { reject: false, timeout: 60_000 },
  );

describe('defect files', () => {
  it('every defect of defects.ts is documented in DEFECTS.md', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(join(REPO_DIR, 'harness/virtual-lab/DEFECTS.md'), 'utf8');
    for (const name of Object.keys(DEFECTS)) expect(doc, name).toMatch(new RegExp(`\\| \`${name}[\`:]`));
  });

  it('refuses data_root_not_f2fs on a netns board, and unknown names, naming the file', () => {
    expect(() => parseDefects({ defects: ['data_root_not_f2fs'] }, 'x.yaml', 'netns')).toThrow(/ext4 on a loop device/);
    expect(() => parseDefects({ defects: ['tool_missing'] }, 'x.yaml', 'netns')).toThrow(/bad argument for `tool_missing`/);
    expect(() => parseDefects({ defects: [{ tool_missing: ['ip;rm'] }] }, 'x.yaml', 'netns')).toThrow(EdgecertError);
    expect(parseDefects({ defects: [{ garbage_output: ['ip'] }, 'dockerd_hangs'] }, 'x.yaml', 'netns')).toEqual([
      { name: 'garbage_output', arg: ['ip'] },
      { name: 'dockerd_hangs', arg: undefined },
    ]);
  });

  it('harness/virtual-lab/defect-lab/devices.yaml has one board per defect file, each valid for a netns board', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(REPO_DIR, 'harness/virtual-lab/defect-lab/defects')).filter((f) => f.endsWith('.yaml'));
    const lab = loadInventory(join(REPO_DIR, 'harness/virtual-lab/defect-lab/devices.yaml'));
    expect(lab.boards.map((b) => b.virtual!.defects!.split('/').pop()).sort()).toEqual(files.sort());
  });
});

describe.skipIf(!root)('defect boards (netns)', () => {
  beforeAll(async () => {
    const r = await labUp(inv!, { boards: Object.values(BOARDS) });
    expect(r.boards.every((b) => b.ok)).toBe(true);
  });

  afterAll(async () => {
    await labDown(inv!, { boards: Object.values(BOARDS) }).catch(() => undefined);
  });

  it('ip_forward_off and no_localhost_in_hosts are seen from inside the board', async () => {
    const r = await ssh(BOARDS.pair, 'cat /proc/sys/net/ipv4/ip_forward; grep -c localhost /etc/hosts; getent hosts localhost; echo getent=$?');
    expect(r.stdout.split('\n')).toEqual(['0', '0', 'getent=2']);
    // and they bite: a container cannot reach the lab endpoint without forwarding in the board netns
    // --init: a container's pid 1 ignores SIGTERM, so `timeout` needs an init to stop wget
    const egress = await ssh(BOARDS.pair, `docker run --rm --init edgecert/busybox:lab timeout 5 wget -T 3 -qO- http://${ENDPOINT.address}:${ENDPOINT.port}/; echo rc=$?`);
    expect(egress.stdout).toMatch(/rc=[1-9]/);
    expect(egress.stdout).not.toContain(ENDPOINT.body.trim());
  });

  it('cpuset_mems_empty makes docker run fail the way seed 002 saw it', async () => {
    const r = await ssh(BOARDS.cpuset, 'wc -c </sys/fs/cgroup/cpuset/cpuset.mems; docker run --rm edgecert/busybox:lab true; echo rc=$?');
    expect(r.stdout.split('\n')[0]).toBe('0');
    expect(r.stdout).toMatch(/rc=125/);
    expect(r.stderr).toMatch(/cpuset.*cgroup\.procs: no space left on device/);
  });

  it('garbage_output breaks the board tool but not the board', async () => {
    const r = await ssh(BOARDS.garbage, 'ip -o link show lo | grep -a -c "<garbage"; ip -o link show lo | od -An -tx1 | tr -d " \\n" | grep -c fffe1b; ip rule >/dev/null; echo rc=$?');
    expect(r.stdout.split('\n')).toEqual(['1', '1', 'rc=0']);
    expect((await ssh(BOARDS.garbage, 'docker run --rm edgecert/busybox:lab echo fine')).stdout).toBe('fine');
  });

  it('down of some boards removes exactly their namespaces', async () => {
    await labDown(inv!, { boards: [BOARDS.garbage] });
    const ns = await labNetns();
    expect(ns).not.toContain(netnsName(BOARDS.garbage));
    expect(ns).toContain(netnsName(BOARDS.pair));
  });
});
