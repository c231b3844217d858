// cgroups as a container runtime sees them: version, controllers, cpuset files, memory.stat syntax.
import type { MountEntry } from './mounts.ts';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'hugetlb', 'blkio', 'net_cls', 'net_prio', 'perf_event', 'rdma', 'misc', 'schedtune'] as const;

export interface ProcCgroup {
  name: string;
  hierarchy: number;
  numCgroups: number;
  enabled: boolean;
}

/** /proc/cgroups: `#subsys_name hierarchy num_cgroups enabled`; malformed lines are returned separately. */
export function parseProcCgroups(text: string): { controllers: ProcCgroup[]; bad: string[] } {
  const controllers: ProcCgroup[] = [];
  const bad: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const f = line.trim().split(/\s+/);
    if (f.length !== 4 || !/^[a-z_]+$/.test(f[0]!) || !f.slice(1).every((x) => /^\d+$/.test(x))) {
      bad.push(line.slice(0, 200));
      continue;
    }
    controllers.push({ name: f[0]!, hierarchy: Number(f[1]), numCgroups: Number(f[2]), enabled: f[3] === '1' });
  }
  return { controllers, bad };
}

export interface CgroupLayout {
  /** 2: cgroup2 at /sys/fs/cgroup; 1: v1 controller hierarchies; 0: nothing usable */
  version: 0 | 1 | 2;
  /** where the cgroup2 hierarchy is mounted (v2 root, or the unified side of a hybrid v1 layout) */
  unified?: string;
  /** v1: controller -> its mountpoints, in mount order (Android may mount cpuset twice: /dev/cpuset and /sys/fs/cgroup/cpuset) */
  v1: Map<string, MountEntry[]>;
  /** moby check-config: every controller co-mounted on /sys/fs/cgroup itself ("single mountpoint!") */
  singleMountpoint: boolean;
}

export function cgroupLayout(mounts: readonly MountEntry[]): CgroupLayout {
  const v1 = new Map<string, MountEntry[]>();
  let unified: string | undefined;
  let singleMountpoint = false;
  // runc and moby decide the mode by statfs(/sys/fs/cgroup): the mount visible there is the last one on that path
  const top = mounts.filter((m) => m.mountpoint === '/sys/fs/cgroup').at(-1);
  for (const m of mounts) {
    if (m.fstype === 'cgroup2') unified ??= m.mountpoint;
    else if (m.fstype === 'cgroup') {
      const ctrls = m.options.filter((o) => (V1_CONTROLLERS as readonly string[]).includes(o));
      if (m.mountpoint === '/sys/fs/cgroup' && ctrls.length > 1) singleMountpoint = true;
      for (const c of ctrls) v1.set(c, [...(v1.get(c) ?? []), m]);
    }
  }
  if (top?.fstype === 'cgroup2') return { version: 2, unified: top.mountpoint, v1, singleMountpoint };
  return { version: v1.size ? 1 : 0, unified, v1, singleMountpoint };
}

/** Where a v1 controller lives: its first mountpoint (runc takes the first match of mountinfo). */
export function controllerMount(layout: CgroupLayout, controller: string): MountEntry | undefined {
  return layout.v1.get(controller)?.[0];
}

// ---- memory.stat, the way runc's fscommon.ParseKeyValue reads it

export interface StatLineProblem {
  line: string;
  reason: string;
}

const UINT64_MAX = 18446744073709551615n;

/**
 * runc splits each line on single spaces and wants exactly `key value` with value a uint64; OpenHarmony's
 * `Anon: 340432 kB` gives three fields and fails (seed 002 problem 5).
 */
export function parseMemoryStat(text: string): { entries: Map<string, bigint>; problems: StatLineProblem[] } {
  const entries = new Map<string, bigint>();
  const problems: StatLineProblem[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.split(' ');
    if (parts.length !== 2) {
      problems.push({ line: line.slice(0, 200), reason: `${parts.length} space-separated fields, runc expects "key value"` });
      continue;
    }
    const [key, value] = parts as [string, string];
    if (!/^\d+$/.test(value) || BigInt(value) > UINT64_MAX) {
      problems.push({ line: line.slice(0, 200), reason: `value ${JSON.stringify(value.slice(0, 40))} is not an unsigned 64-bit integer` });
      continue;
    }
    if (!key) {
      problems.push({ line: line.slice(0, 200), reason: 'empty key' });
      continue;
    }
    entries.set(key, BigInt(value));
  }
  return { entries, problems };
}

// ---- /proc/<pid>/cgroup and cgroup paths

/** `hierarchy:controllers:path` lines -> controller (or "" for the v2 line) -> path. */
export function parsePidCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!m) continue;
    const ctrls = m[2] ? m[2].split(',') : [''];
    for (const c of ctrls) out.set(c, m[3]!);
  }
  return out;
}

/** "/a/b" -> ["/", "/a", "/a/b"]; a relative docker cgroup-parent ("edgecert-x") is relative to the root. */
export function cgroupChain(path: string): string[] {
  const parts = path.split('/').filter((p) => p && p !== '.');
  const chain = ['/'];
  for (let i = 1; i <= parts.length; i++) chain.push(`/${parts.slice(0, i).join('/')}`);
  return chain;
}
