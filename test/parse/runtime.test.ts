import { describe, expect, it } from 'vitest';
import { dockerArch, missingCapabilities, parseDockerInfo } from '../../harness/parse/runtime-docker-info.ts';
import { demuxDockerLogs } from '../../harness/parse/runtime-docker-logs.ts';
import { dockerdFault, dockerdStateProbe, parseDockerdState } from '../../harness/parse/runtime-dockerd-state.ts';
import { cfsQuota, cpuSample, cpuShare, markers } from '../../harness/parse/runtime-limits.ts';

// GET /info of Debian's dockerd 20.10 in a netns on this host (fields trimmed)
const INFO = {
  ID: '5K4C:5U2X:XQBC:U4C2:VBCC:WNZP:C2SA:AZGL:BNEK:36CI:UTLQ:NH2P',
  Containers: 0,
  Images: 1,
  Driver: 'overlay2',
  DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
  MemoryLimit: true,
  SwapLimit: true,
  CpuCfsPeriod: true,
  CpuCfsQuota: true,
  PidsLimit: true,
  IPv4Forwarding: true,
  BridgeNfIptables: true,
  CgroupDriver: 'cgroupfs',
  CgroupVersion: '1',
  KernelVersion: '6.18.44-fc-v657',
  OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
  OSType: 'linux',
  Architecture: 'x86_64',
  DockerRootDir: '/tmp/ec-s2/docker',
  ServerVersion: '20.10.24+dfsg1',
  DefaultRuntime: 'runc',
  Warnings: null,
  SecurityOptions: ['name=seccomp,profile=default'],
};

describe('docker info', () => {
  it('reads a real answer, as an object or as JSON text', () => {
    const p = parseDockerInfo(INFO);
    expect('info' in p && p.info.ServerVersion).toBe('20.10.24+dfsg1');
    const t = parseDockerInfo(Buffer.from(JSON.stringify(INFO)));
    expect('info' in t && t.info.Driver).toBe('overlay2');
    expect('info' in p && missingCapabilities(p.info)).toEqual([]);
  });

  it('reports what docker says is missing (a kernel without memcg, forwarding off)', () => {
    const p = parseDockerInfo({ ...INFO, MemoryLimit: false, IPv4Forwarding: false, Warnings: ['WARNING: No memory limit support', 'WARNING: IPv4 forwarding is disabled'] });
    expect('info' in p && missingCapabilities(p.info)).toEqual(['memory limit', 'IPv4 forwarding']);
  });

  it('rejects garbage and answers that are not docker info', () => {
    expect(parseDockerInfo('{"Server\xff\xfe')).toMatchObject({ error: expect.stringMatching(/^not JSON/) });
    expect(parseDockerInfo({ message: 'page not found' })).toMatchObject({ error: expect.stringMatching(/ServerVersion/) });
    expect(parseDockerInfo(null)).toHaveProperty('error');
  });

  it('maps machine names to docker architectures', () => {
    expect(dockerArch('aarch64')).toBe('arm64');
    expect(dockerArch('x86_64')).toBe('amd64');
    expect(dockerArch('amd64')).toBe('amd64');
  });
});

describe('docker log stream', () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };
  it('demultiplexes stdout and stderr frames', () => {
    const buf = Buffer.concat([frame(1, 'ec-hello=ab12\n'), frame(2, 'sh: can\'t fork\n'), frame(1, 'x86_64\n')]);
    expect(demuxDockerLogs(buf)).toEqual({ stdout: 'ec-hello=ab12\nx86_64\n', stderr: "sh: can't fork\n", raw: false });
  });
  it('passes through unframed output', () => {
    expect(demuxDockerLogs(Buffer.from('plain tty output\n'))).toEqual({ stdout: 'plain tty output\n', stderr: '', raw: true });
    expect(demuxDockerLogs(Buffer.alloc(0))).toEqual({ stdout: '', stderr: '', raw: false });
  });
});

describe('dockerd state probe', () => {
  it('is a POSIX sh script with the socket quoted', () => {
    expect(dockerdStateProbe("'/tmp/my sock'")).toContain("[ -S '/tmp/my sock' ]");
    expect(dockerdStateProbe('/var/run/docker.sock')).toContain('[ "$path" = /var/run/docker.sock ]');
  });
  it('blames the board for a frozen, gone or stale dockerd', () => {
    // dockerd_hangs: the process that holds the socket is SIGSTOPped
    const frozen = parseDockerdState('socket-inodes 125392\ndockerd 13814 serves=yes State:\tT (stopped)\ndockerd 11835 serves=no State:\tS (sleeping)\nsocket present\nprobe done\n');
    expect(frozen.socketInodes).toEqual(['125392']);
    expect(dockerdFault(frozen, '/var/run/docker.sock')).toMatch(/13814\) is stopped \(state T\)/);
    // dockerd_stopped: other boards' dockerds are visible in the shared pid namespace, none holds this socket
    const stale = parseDockerdState('socket-inodes\ndockerd 13428 serves=no State:\tS (sleeping)\nsocket absent\nprobe done\n');
    expect(dockerdFault(stale, '/var/run/docker.sock')).toMatch(/does not exist/);
    const unserved = parseDockerdState('socket-inodes 99\ndockerd 13428 serves=no State:\tS (sleeping)\nsocket present\nprobe done\n');
    expect(dockerdFault(unserved, '/var/run/docker.sock')).toMatch(/no dockerd process holds/);
    expect(dockerdFault(parseDockerdState('socket-inodes\nsocket present\nprobe done\n'), '/s')).toMatch(/stale socket/);
  });
  it('does not blame a healthy-looking board, nor judge an incomplete probe', () => {
    expect(dockerdFault(parseDockerdState('socket-inodes 7\ndockerd 11835 serves=yes State:\tS (sleeping)\nsocket present\nprobe done\n'), '/s')).toBeUndefined();
    // a socket bound in another netns (the local board with a dockerd in its own netns): the CLI decides
    expect(dockerdFault(parseDockerdState('socket-inodes\ndockerd 18060 serves=no State:\tS (sleeping)\nsocket present\nprobe done\n'), '/s')).toBeUndefined();
    expect(dockerdFault(parseDockerdState('dockerd 11835 serves=yes State:\tT (stopped)\n'), '/s')).toBeUndefined();
  });
});

describe('limits', () => {
  it('computes the CPU share from two stats samples', () => {
    // docker stats: read timestamps from dockerd's clock, total_usage in ns (cgroup v1 cpuacct.usage)
    const a = cpuSample({ read: '2026-11-22T00:10:01.500000000Z', cpu_stats: { cpu_usage: { total_usage: 1_000_000_000 } } })!;
    const b = cpuSample({ read: '2026-11-22T00:10:05.500000000Z', cpu_stats: { cpu_usage: { total_usage: 1_812_000_000 } } })!;
    expect(cpuShare(a, b)).toBeCloseTo(0.203, 3);
    expect(cpuSample({ read: '0001-01-01T00:00:00Z', cpu_stats: {} })).toBeUndefined();
    expect(cpuShare(b, a)).toBeUndefined();
  });
  it('reads the CFS quota of cgroup v1 and v2', () => {
    expect(cfsQuota('20000', '100000', undefined)).toBeCloseTo(0.2);
    expect(cfsQuota('-1', '100000', undefined)).toBe(Infinity);
    expect(cfsQuota(undefined, undefined, '20000 100000')).toBeCloseTo(0.2);
    expect(cfsQuota(undefined, undefined, 'max 100000')).toBe(Infinity);
    expect(cfsQuota(undefined, undefined, undefined)).toBeUndefined();
  });
  it('reads marker lines of the test scripts', () => {
    const m = markers('ec-small-exit=0\nKilled\nec-big-exit=137\nec-cg-limit=33554432\nnoise ec-x=1\n');
    expect(Object.fromEntries(m)).toEqual({ 'small-exit': '0', 'big-exit': '137', 'cg-limit': '33554432' });
  });
});
