import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cgroupChain, cgroupLayout, controllerMount, parseMemoryStat, parsePidCgroup, parseProcCgroups } from '../../harness/parse/cgroups.ts';
import { parseSections } from '../../harness/board/sections.ts';
import { parseMounts } from '../../harness/parse/mounts.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('/proc/cgroups', () => {
  it('reads the lab host (v1 controllers, some without a hierarchy)', () => {
    const { controllers, bad } = parseProcCgroups(fixture('host-proc-cgroups.txt'));
    expect(bad).toEqual([]);
    expect(controllers.find((c) => c.name === 'memory')).toMatchObject({ enabled: true });
    expect(controllers.find((c) => c.name === 'hugetlb')?.hierarchy).toBe(0);
  });
  it('keeps garbage lines apart instead of inventing controllers', () => {
    const { controllers, bad } = parseProcCgroups('#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\n\xff\xfe\x1b[7m#%!<garbage\nmemory 4 42\n');
    expect(controllers.map((c) => c.name)).toEqual(['cpu']);
    expect(bad.length).toBe(2);
  });
});

describe('cgroup layout from /proc/mounts', () => {
  it('sees the netns board as v1 per-controller hierarchies with a hybrid cgroup2 aside', () => {
    const s = parseSections(fixture('vl-linux-1-mounts-and-cgroups.txt'));
    const layout = cgroupLayout(parseMounts(s.text('mounts')!).mounts);
    expect(layout.version).toBe(1);
    expect(layout.unified).toBe('/sys/fs/cgroup/unified');
    expect(controllerMount(layout, 'cpuset')?.mountpoint).toBe('/sys/fs/cgroup/cpuset');
    expect(layout.singleMountpoint).toBe(false);
  });
  it('takes cgroup2 on /sys/fs/cgroup as v2, even with a stray v1 hierarchy elsewhere (Android /dev/cpuset)', () => {
    const m = parseMounts('cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\nnone /dev/cpuset cgroup rw,cpuset,noprefix 0 0\n').mounts;
    expect(cgroupLayout(m).version).toBe(2);
  });
  it('takes the seed-002 layout (tmpfs over /sys/fs/cgroup, then one mount per controller) as v1', () => {
    const m = parseMounts(
      'cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\ntmpfs /sys/fs/cgroup tmpfs rw,size=1048576k 0 0\ncgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,nodev,noexec,cpuset 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n',
    ).mounts;
    expect(cgroupLayout(m).version).toBe(1);
  });
  it('flags all controllers co-mounted on /sys/fs/cgroup ("single mountpoint") and nothing mounted', () => {
    expect(cgroupLayout(parseMounts('cgroup /sys/fs/cgroup cgroup rw,cpu,cpuacct,memory,cpuset 0 0\n').mounts).singleMountpoint).toBe(true);
    expect(cgroupLayout(parseMounts('proc /proc proc rw 0 0\n').mounts).version).toBe(0);
  });
  it('returns Android\'s first cpuset mount, the one runc uses, with its noprefix option', () => {
    const m = parseMounts('none /dev/cpuset cgroup rw,nosuid,nodev,noexec,relatime,cpuset,noprefix,release_agent=/sbin/cpuset_release_agent 0 0\ncgroup /sys/fs/cgroup/cpuset cgroup rw,cpuset 0 0\n').mounts;
    const first = controllerMount(cgroupLayout(m), 'cpuset')!;
    expect(first.mountpoint).toBe('/dev/cpuset');
    expect(first.options).toContain('noprefix');
  });
});

describe('memory.stat the way runc reads it (seed 002 problem 5)', () => {
  const host = fixture('host-memory.stat');
  it('parses the lab host\'s v1 memory.stat completely', () => {
    const r = parseMemoryStat(host);
    expect(r.problems).toEqual([]);
    expect(r.entries.get('total_rss')).toBeTypeOf('bigint');
  });
  it('rejects OpenHarmony\'s `Anon: 340432 kB` lines (space and tab forms)', () => {
    const oh = `${host}Anon: 340432 kB\nFile: 1203948 kB\nActive(anon): 2216 kB\nInactive(anon): 338216 kB\n`;
    const r = parseMemoryStat(oh);
    expect(r.problems.map((p) => p.line)).toEqual(['Anon: 340432 kB', 'File: 1203948 kB', 'Active(anon): 2216 kB', 'Inactive(anon): 338216 kB']);
    expect(r.problems[0]!.reason).toMatch(/3 space-separated fields/);
    const tab = parseMemoryStat('cache 1\nAnon:\t340432 kB\n');
    expect(tab.problems[0]!.reason).toMatch(/not an unsigned 64-bit integer/);
  });
  it('rejects values beyond uint64 and negative numbers', () => {
    expect(parseMemoryStat('x 18446744073709551616\n').problems.length).toBe(1);
    expect(parseMemoryStat('x -1\n').problems.length).toBe(1);
    expect(parseMemoryStat('x 18446744073709551615\n').problems).toEqual([]);
  });
});

describe('cgroup paths', () => {
  it('reads /proc/<pid>/cgroup of v1 and v2', () => {
    const m = parsePidCgroup('9:name=systemd:/\n3:cpuset:/background\n4:memory:/process_api/x\n0::/init.scope\n');
    expect(m.get('cpuset')).toBe('/background');
    expect(m.get('')).toBe('/init.scope');
  });
  it('walks from the root to docker\'s cgroup parent, relative or absolute', () => {
    expect(cgroupChain('edgecert-vl-linux-1')).toEqual(['/', '/edgecert-vl-linux-1']);
    expect(cgroupChain('/docker')).toEqual(['/', '/docker']);
    expect(cgroupChain('/')).toEqual(['/']);
  });
});
