import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { usage } from '../harness/core/errors.ts';
import { EDGE_DEFECTS, type EdgeDefectName } from './edge/edge-defects.ts';

// Defects are data (a small YAML file per defect board), so a new defect board needs no code.
// Every name here must be documented in DEFECTS.md with what it changes and which checks it must trip.

export type BoardKind = 'netns' | 'qemu';

interface DefectInfo {
  kinds: BoardKind[];
  /** zod schema of the argument; z.undefined() for flag defects. */
  arg: z.ZodType;
  summary: string;
}

const flag = z.undefined();
const configOptions = z.array(z.string().regex(/^CONFIG_[A-Z0-9_]+$/, 'a kernel option name like CONFIG_PID_NS')).min(1);
const toolNames = z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'a command name like iptables')).min(1);
const v1Controllers = z.array(z.enum(['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'hugetlb', 'memory', 'net_cls', 'net_prio', 'perf_event', 'pids'])).min(1);
const namespaces = z.array(z.enum(['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts'])).min(1);

// the edge stand-ins' defects (edgecore, EdgeMesh): edge-defects.ts owns their argument schemas, the lab only routes
// them (edgeUp of a netns board with a `cloud:` binding); a qemu board has no Node.js for the stand-ins
const CLOUD_DEFECTS = Object.fromEntries(
  Object.entries(EDGE_DEFECTS).map(([name, d]) => [name, { kinds: ['netns'], arg: d.arg, summary: `edge stand-in: ${d.summary}` }]),
) as { [K in EdgeDefectName]: { kinds: BoardKind[]; arg: (typeof EDGE_DEFECTS)[K]['arg']; summary: string } };

export const DEFECTS = {
  ...CLOUD_DEFECTS,
  ip_forward_off: { kinds: ['netns', 'qemu'], arg: flag, summary: 'net.ipv4.ip_forward=0 in the board netns' },
  no_rule_pref_1: { kinds: ['netns', 'qemu'], arg: flag, summary: 'the `1: from all lookup main` ip rule is deleted' },
  kernel_config_without: {
    kinds: ['netns', 'qemu'],
    arg: configOptions,
    summary: 'the kernel config the board exposes has these options removed',
  },
  kernel_config_missing: { kinds: ['netns', 'qemu'], arg: flag, summary: 'no kernel config readable at any usual path' },
  memory_stat_openharmony: { kinds: ['netns', 'qemu'], arg: flag, summary: 'memory.stat carries OpenHarmony-style `Anon: 340432 kB` lines' },
  cpuset_mems_empty: { kinds: ['netns', 'qemu'], arg: flag, summary: 'cpuset.mems is empty in the cgroup docker uses' },
  // netns boards boot Enforcing (the conformant state), so only the qemu board, which boots Permissive, can be told to enforce
  selinux_enforcing: { kinds: ['qemu'], arg: flag, summary: '`getenforce` answers Enforcing' },
  selinux_permissive: { kinds: ['netns'], arg: flag, summary: '`getenforce` answers Permissive at every boot (the seeds\' `setenforce 0`)' },
  dockerd_stopped: { kinds: ['netns', 'qemu'], arg: flag, summary: 'the board dockerd is not running' },
  dockerd_tcp_open: { kinds: ['netns', 'qemu'], arg: flag, summary: 'dockerd also listens on 0.0.0.0:2375 without TLS' },
  // a netns board's data-root is always ext4 on a loop device, so only a qemu board can be told to lose f2fs
  data_root_not_f2fs: { kinds: ['qemu'], arg: flag, summary: 'docker data-root is not on f2fs' },
  no_localhost_in_hosts: { kinds: ['netns', 'qemu'], arg: flag, summary: '/etc/hosts has no localhost entry' },
  token_world_readable: { kinds: ['netns', 'qemu'], arg: flag, summary: 'the edgecore token file is mode 0644' },
  f2fs_module_missing: { kinds: ['qemu'], arg: flag, summary: 'the guest does not load the f2fs module' },
  cpuset_noprefix: { kinds: ['qemu'], arg: flag, summary: 'the guest mounts the cpuset hierarchy with noprefix, as Android init does for /dev/cpuset' },
  clock_at: { kinds: ['qemu'], arg: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2024-01-01'), summary: 'the guest\'s real-time clock starts at this date (a board without an RTC battery boots in the past)' },
  overlay_module_missing: { kinds: ['qemu'], arg: flag, summary: 'the guest does not load the overlay module: no overlay mounts, dockerd falls back to another storage driver' },
  kernel_config_with: {
    kinds: ['netns'],
    arg: configOptions,
    summary: 'the kernel config the board exposes has these options set to y',
  },
  old_kernel_release: { kinds: ['netns'], arg: z.string().regex(/^\d+\.\d+(\.\d+)?[\w.+-]*$/, 'a release like 4.4.0'), summary: '`uname -r` and /proc/sys/kernel/osrelease answer this release' },
  namespace_limit_zero: { kinds: ['netns', 'qemu'], arg: namespaces, summary: '/proc/sys/user/max_<ns>_namespaces is 0 (qemu: the real limit; netns: emulated by a bind-mounted file)' },
  paranoid_network: { kinds: ['netns'], arg: flag, summary: 'socket(AF_INET/AF_INET6) is refused to uids other than 0 outside gid 3003 (cgroup-BPF sock_create)' },
  cgroups_unmounted: { kinds: ['netns'], arg: flag, summary: 'nothing is mounted at /sys/fs/cgroup in the board' },
  cgroup_controller_unmounted: { kinds: ['netns'], arg: v1Controllers, summary: 'these v1 controllers are unmounted from /sys/fs/cgroup/<controller> in the board' },
  dockerd_storage_driver: { kinds: ['netns'], arg: z.enum(['vfs', 'overlay2', 'fuse-overlayfs', 'btrfs', 'zfs', 'devicemapper']), summary: 'the board dockerd runs this storage driver instead of overlay2' },
  data_root_fscrypt: { kinds: ['netns'], arg: flag, summary: 'docker\'s data-root is a directory with an fscrypt v2 policy on an ext4 made with -O encrypt' },
  edged_root_other_fs: { kinds: ['netns'], arg: flag, summary: 'edgecore.yaml puts edged\'s root at /var/lib/edged, on the board root, not on the data-root filesystem' },
  data_root_full: { kinds: ['netns'], arg: flag, summary: 'a file fallocated on the data-root filesystem leaves < 512 MB free and > 90 % used' },
  no_default_route: { kinds: ['netns'], arg: flag, summary: 'the board netns main table has no default route' },
  docker_masquerade_deleted: { kinds: ['netns'], arg: flag, summary: 'docker\'s MASQUERADE rule for its bridge subnet is deleted' },
  tetherctrl_forward_drop: { kinds: ['netns'], arg: flag, summary: 'Android netd\'s tetherctrl_FORWARD chain with its lone DROP, jumped to first from FORWARD' },
  no_nameserver: { kinds: ['netns'], arg: flag, summary: '/etc/resolv.conf names no nameserver' },
  container_start_fails: { kinds: ['netns'], arg: flag, summary: 'dockerd\'s default runtime is a runc built for another machine: every container start fails with exec format error' },
  dockerd_private_tmp: { kinds: ['netns'], arg: flag, summary: 'dockerd runs in its own mount namespace with private tmpfs over /tmp, /var/tmp and /data/local/tmp' },
  adbd_tcp_open: { kinds: ['netns'], arg: flag, summary: 'adbd serves TCP on 0.0.0.0:5555 (service.adb.tcp.port=5555) on an Android board reached otherwise' },
  // robustness defects: a broken board must give FAIL/INFRA outcomes, never crash or hang the suite
  tool_missing: { kinds: ['netns'], arg: toolNames, summary: 'these commands are removed from the board (not found on any PATH directory)' },
  garbage_output: { kinds: ['netns'], arg: toolNames, summary: 'these commands print truncated output followed by binary garbage' },
  sshd_config_broken: { kinds: ['netns'], arg: flag, summary: 'the board sshd exits at once on an unknown option: the board never answers, lab up fails for it alone' },
  dockerd_hangs: { kinds: ['netns'], arg: flag, summary: 'the board dockerd is frozen (SIGSTOP): its socket accepts but never answers' },
} satisfies Record<string, DefectInfo>;

export type DefectName = keyof typeof DEFECTS;

/** Why a defect is refused for a board kind, where the bare refusal would puzzle the lab engineer. */
const KIND_NOTES: Record<string, string> = {
  'selinux_enforcing/netns': 'netns boards boot Enforcing already; selinux_permissive is their SELinux defect',
  'data_root_not_f2fs/netns': 'a netns board never has f2fs: its data-root is always ext4 on a loop device, so every netns board already has this property',
};

function kindNote(name: string, kind: BoardKind): string | undefined {
  if (name in EDGE_DEFECTS && kind === 'qemu') return 'the edge stand-ins run on netns boards only: a qemu board has no Node.js for them';
  return KIND_NOTES[`${name}/${kind}`];
}

/** The argument of a defect present in `defects`, or undefined when the defect is absent. */
export function defectArg<T = unknown>(defects: readonly DefectSpec[], name: DefectName): T | undefined {
  return defects.find((d) => d.name === name)?.arg as T | undefined;
}

export function hasDefect(defects: readonly DefectSpec[], name: DefectName): boolean {
  return defects.some((d) => d.name === name);
}
export interface DefectSpec {
  name: DefectName;
  arg?: unknown;
}

/** Parse a defects YAML file (`defects: [name, {name: arg}]`); unknown names are an error naming file and path. */
export function loadDefects(file: string, kind: BoardKind): DefectSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw usage(`${file}: cannot read defects file`, { cause });
  }
  const doc = parseDocument(text);
  if (doc.errors.length) throw usage(`${file}: not valid YAML: ${doc.errors[0]!.message}`);
  return parseDefects(doc.toJS(), file, kind);
}

export function parseDefects(data: unknown, file: string, kind: BoardKind): DefectSpec[] {
  // `board:` describes the defect lab's board for this file (lab/defect-lab/inventory.ts)
  const top = z.strictObject({ defects: z.array(z.unknown()), board: z.unknown().optional() }).safeParse(data);
  if (!top.success) throw usage(`${file}: expected a mapping with the key \`defects:\` holding a list (and optionally \`board:\`)`);
  const known = Object.keys(DEFECTS).join(', ');
  return top.data.defects.map((entry, i) => {
    const where = `${file}: defects[${i}]`;
    let name: string;
    let arg: unknown;
    if (typeof entry === 'string') name = entry;
    else if (entry && typeof entry === 'object' && !Array.isArray(entry) && Object.keys(entry).length === 1) {
      [name, arg] = Object.entries(entry)[0]!;
    } else throw usage(`${where}: expected a defect name or a one-key mapping {name: argument}`);
    if (!(name in DEFECTS)) throw usage(`${where}: unknown defect \`${name}\`; known defects: ${known}`);
    const info: DefectInfo = DEFECTS[name as DefectName];
    if (!info.kinds.includes(kind)) {
      const why = kindNote(name, kind);
      throw usage(`${where}: defect \`${name}\` cannot be injected into a ${kind} board${why ? ` (${why})` : ''}`);
    }
    const parsed = info.arg.safeParse(arg);
    if (!parsed.success) throw usage(`${where}: bad argument for \`${name}\`: ${parsed.error.issues[0]?.message}`);
    return { name: name as DefectName, arg: parsed.data };
  });
}
