import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgecertError } from '../../harness/core/errors.ts';
import { loadLabInventory } from '../../lab/spec.ts';
import { DEFECTS, parseDefects } from '../../lab/defects.ts';
import { labDown, labUp } from '../../lab/lab.ts';
import { ENDPOINT, REPO_DIR, netnsName } from '../../lab/netns/paths.ts';
import { labNetns } from '../../lab/netns/sweep.ts';

// Defects are injected by real means and observed from inside the board, the way a check would see them.
const root = process.getuid?.() === 0;
const inv = root ? loadLabInventory(join(REPO_DIR, 'lab/defect-lab/devices.yaml')) : undefined;
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
    const doc = readFileSync(join(REPO_DIR, 'lab/DEFECTS.md'), 'utf8');
    for (const name of Object.keys(DEFECTS)) expect(doc, name).toMatch(new RegExp(`\\| \`${name}[\`:]`));
  });

  it('refuses data_root_not_f2fs on a netns board, and unknown names, naming the file', () => {
    expect(() => parseDefects({ defects: ['data_root_not_f2fs'] }, 'x.yaml', 'netns')).toThrow(/ext4 on a loop device/);
    expect(() => parseDefects({ defects: ['selinux_enforcing'] }, 'x.yaml', 'netns')).toThrow(/boot Enforcing already/);
    expect(() => parseDefects({ defects: [{ cgroup_controller_unmounted: ['pid'] }] }, 'x.yaml', 'netns')).toThrow(/bad argument/);
    expect(() => parseDefects({ defects: ['tool_missing'] }, 'x.yaml', 'netns')).toThrow(/bad argument for `tool_missing`/);
    expect(() => parseDefects({ defects: [{ tool_missing: ['ip;rm'] }] }, 'x.yaml', 'netns')).toThrow(EdgecertError);
    expect(parseDefects({ defects: [{ garbage_output: ['ip'] }, 'dockerd_hangs'] }, 'x.yaml', 'netns')).toEqual([
      { name: 'garbage_output', arg: ['ip'] },
      { name: 'dockerd_hangs', arg: undefined },
    ]);
  });

  it('takes the edge stand-ins\' defects with edge-defects.ts\'s argument schemas, netns boards only', () => {
    expect(parseDefects({ defects: [{ edgemesh_flaky: 10 }, { edgecore_misreport: ['arch'] }, 'edgecore_stopped'] }, 'x.yaml', 'netns')).toEqual([
      { name: 'edgemesh_flaky', arg: 10 },
      { name: 'edgecore_misreport', arg: ['arch'] },
      { name: 'edgecore_stopped', arg: undefined },
    ]);
    expect(() => parseDefects({ defects: [{ edgemesh_flaky: 1 }] }, 'x.yaml', 'netns')).toThrow(/bad argument for `edgemesh_flaky`/);
    expect(() => parseDefects({ defects: [{ edgecore_misreport: ['cpu'] }] }, 'x.yaml', 'netns')).toThrow(/bad argument/);
    expect(() => parseDefects({ defects: ['edgecore_crashes'] }, 'x.yaml', 'netns')).toThrow(/unknown defect `edgecore_crashes`/);
    expect(() => parseDefects({ defects: ['kubelet_running'] }, 'x.yaml', 'qemu')).toThrow(/netns boards only/);
  });

  it('lab/defect-lab/devices.yaml has one board per defect file, each valid for a netns board', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(REPO_DIR, 'lab/defect-lab/defects')).filter((f) => f.endsWith('.yaml'));
    const lab = loadLabInventory(join(REPO_DIR, 'lab/defect-lab/devices.yaml'));
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

// The defects added for the negative-conformance matrix, each seen from inside its board (one board up per defect file).
const OBSERVED: [board: string, command: string, expect: RegExp][] = [
  ['vl-defect-kernel-config-edits', 'zcat /proc/config.gz | grep -E "_TARGET_REDIRECT|VSYSCALL_NATIVE"', /# CONFIG_NETFILTER_XT_TARGET_REDIRECT is not set\n# CONFIG_IP_NF_TARGET_REDIRECT is not set\nCONFIG_LEGACY_VSYSCALL_NATIVE=y/],
  // the release the board reports; the running kernel (docker's view through uname(2)) stays the host's
  ['vl-defect-old-kernel-release', 'uname -r; cat /proc/sys/kernel/osrelease; docker info -f "kernel {{.KernelVersion}}"', /^4\.4\.0\n4\.4\.0\nkernel (?!4\.4\.0)\S+$/],
  ['vl-defect-namespace-limit-zero', 'cat /proc/sys/user/max_pid_namespaces /proc/sys/user/max_net_namespaces', /^0\n[1-9]\d*$/],
  [
    'vl-defect-paranoid-network',
    'for g in 9999 3003; do setpriv --reuid=9999 --regid=$g --clear-groups -- busybox nc -w 1 127.0.0.1 9 </dev/null 2>&1 | tail -1; done',
    /^nc: socket: Operation not permitted\nnc: can't connect .*Connection refused$/,
  ],
  ['vl-defect-cgroups-unmounted', 'grep -cE " cgroup2? " /proc/mounts; docker version -f "{{.Server.Version}}" 2>&1 | tail -1; grep -c "Devices cgroup isn.t mounted" $EC_STATE/dockerd.log', /^0\n.*Cannot connect to the Docker daemon.*\n[1-9]$/],
  ['vl-defect-pids-unmounted', 'grep -c " /sys/fs/cgroup/pids " /proc/mounts; grep -c "^pids.*1$" /proc/cgroups; docker run --rm --pids-limit 16 edgecert/busybox:lab true 2>&1', /^0\n1\nWARNING: Your kernel does not support PIDs limit/],
  ['vl-defect-memory-unmounted', 'grep -c " /sys/fs/cgroup/memory " /proc/mounts; docker run --rm -m 32m edgecert/busybox:lab true 2>&1', /^0\nWARNING: Your kernel does not support memory limit/],
  ['vl-defect-cpu-unmounted', 'grep -cE " /sys/fs/cgroup/cpu(acct)? " /proc/mounts; docker run --rm --cpus 0.2 edgecert/busybox:lab true 2>&1 | head -1', /^0\n.*NanoCPUs can not be set/],
  ['vl-defect-vfs-no-masquerade', 'docker info -f "{{.Driver}}"; iptables -t nat -S POSTROUTING | grep -c MASQUERADE', /^vfs\n0$/],
  ['vl-defect-data-root-fscrypt', 'docker info -f "{{.DockerRootDir}} {{.Driver}}"; lsattr -d /data/docker; docker run --rm edgecert/busybox:lab echo runs', /^\/data\/docker overlay2\n\S*E\S* \/data\/docker\nruns$/],
  ['vl-defect-edged-root-disk-full', 'grep rootDirectory /etc/kubeedge/config/edgecore.yaml; df -P /var/lib/docker | awk "NR==2 {print \\$5}"', /rootDirectory: \/var\/lib\/edged\n9[1-9]%$/],
  ['vl-defect-route-and-resolv', 'ip route show default | wc -l; grep -c ^nameserver /etc/resolv.conf; wget -qO- http://10.77.0.1:8080/', /^0\n0\nedgecert lab endpoint/],
  ['vl-defect-tetherctrl-adbd-tcp', 'iptables -S FORWARD | sed -n 2p; iptables -S tetherctrl_FORWARD; getprop service.adb.tcp.port; grep -c ":15B3 00000000:0000 0A" /proc/net/tcp', /^-A FORWARD -j tetherctrl_FORWARD\n-N tetherctrl_FORWARD\n-A tetherctrl_FORWARD -j DROP\n5555\n1$/],
  ['vl-defect-container-start-fails', 'docker info -f "{{.DefaultRuntime}}"; docker run --rm edgecert/busybox:lab true 2>&1 | grep -o "runc-armhf: exec format error"', /^ec-foreign\nrunc-armhf: exec format error$/],
  ['vl-defect-dockerd-private-tmp', 'd=$(mktemp -d); echo board >$d/f; docker run --rm -v $d:/h edgecert/busybox:lab ls /h | wc -l', /^0$/],
  ['vl-defect-selinux-permissive', 'getenforce', /^Permissive$/],
];

describe.skipIf(!root)('defect boards of the matrix (netns)', () => {
  const ids = OBSERVED.map(([id]) => id);
  beforeAll(async () => {
    const r = await labUp(inv!, { boards: ids });
    expect(r.boards.filter((b) => !b.ok)).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    await labDown(inv!, { boards: ids }).catch(() => undefined);
  }, 120_000);

  it.each(OBSERVED)('%s: the defect is seen from inside the board', async (id, command, want) => {
    const r = await ssh(id, `EC_STATE=/var/lib/edgecert/virtual-lab/${id}; ${command}`);
    expect(r.stdout.trim()).toMatch(want);
  });
});
