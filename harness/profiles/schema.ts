import { z } from 'zod';

// A profile says what "conformant" means for a class of board; suites read it, never hard-code thresholds.
const option = z.string().regex(/^CONFIG_[A-Z0-9_]+$/, 'a kernel option name like CONFIG_PID_NS');
const checkId = z.string().regex(/^[A-Z0-9]+(-[A-Z0-9]+)+$/, 'a check ID like NET-IP-FORWARD');
const kernelVersion = z.string().regex(/^\d+\.\d+$/, 'major.minor like 5.10');

/** The one table of timeouts (ms); every wait and command budget of a run comes from here. */
export const Timeouts = z.strictObject({
  /** a plain board command (cat, ip, sysctl ...) */
  command: z.number().int().positive().default(30_000),
  /** connecting a transport / a board coming online */
  connect: z.number().int().positive().default(30_000),
  /** the docker API answering through the forwarded socket */
  dockerApi: z.number().int().positive().default(30_000),
  /** one `docker run` of the lab image to completion */
  dockerRun: z.number().int().positive().default(60_000),
  /** a board command that may legitimately hang on a broken board (docker info, iptables) */
  hangProne: z.number().int().positive().default(20_000),
  /** edge node Ready after edgecore start (upstream e2e waits forever; we do not) */
  nodeReady: z.number().int().positive().default(120_000),
  /** a pod Running after creation (upstream e2e uses 240 s) */
  podRunning: z.number().int().positive().default(240_000),
  /** a new Service/endpoint reaching the board's EdgeMesh (DNS and proxy) through edgecore's metaServer */
  meshPropagation: z.number().int().positive().default(30_000),
  /** lease acquisition in the shared pool */
  lease: z.number().int().positive().default(600_000),
});
export type Timeouts = z.infer<typeof Timeouts>;

export const Waiver = z.strictObject({
  check: checkId,
  /** a kernel option the waiver covers (omit to waive the whole check) */
  option: option.optional(),
  reason: z.string().min(10, 'a reason a reviewer can judge (>= 10 chars)'),
});

export const KernelPolicy = z.strictObject({
  minVersion: kernelVersion.optional(),
  required: z.array(option).default([]),
  /** options required only on kernels older than `below` (moby: NF_NAT_IPV4 up to 5.1, NF_NAT_NEEDED up to 5.2) */
  requiredBefore: z.array(z.strictObject({ below: kernelVersion, options: z.array(option).min(1) })).default([]),
  /** each inner list is satisfied by any one of its options */
  anyOf: z.array(z.array(option).min(2)).default([]),
  optional: z.array(option).default([]),
  forbidden: z.array(option).default([]),
  /** ANDROID_PARANOID_NETWORK: may a process outside AID_INET open an inet socket? */
  unprivilegedInetSocket: z.enum(['required', 'any']).default('any'),
  /** namespaces that must be listed in /proc/self/ns (and not limited to 0 by user.max_<ns>_namespaces) */
  namespaces: z.array(z.enum(['mnt', 'net', 'pid', 'ipc', 'uts', 'user', 'cgroup', 'time'])).default(['mnt', 'net', 'pid', 'ipc', 'uts']),
  /** filesystems that must be registered in /proc/filesystems (built in, or its module loaded) */
  filesystems: z.array(z.string().regex(/^[a-z0-9_]+$/)).default(['overlay']),
});

const controller = z.enum(['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids', 'hugetlb', 'blkio', 'io', 'net_cls', 'net_prio', 'perf_event', 'rdma']);
export const CgroupPolicy = z.strictObject({
  /** cgroup versions accepted; v1 is accepted with a deprecation warning (kubelet >= 1.35 refuses it) */
  versions: z.array(z.union([z.literal(1), z.literal(2)])).min(1).default([1, 2]),
  /** k8s system-validators Cgroups (v1); on v2 cpuacct is provided by cpu */
  required: z.array(controller).default(['cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']),
  optional: z.array(controller).default(['hugetlb']),
});

export const StoragePolicy = z.strictObject({
  /** allowed filesystems for docker's data-root; empty = any overlay-capable one with d_type */
  dataRootFs: z.array(z.string().min(1)).default([]),
  /** filesystems (as /proc/mounts names them) docker's overlay2 refuses or that cannot back an upper layer */
  dataRootFsForbidden: z.array(z.string().min(1)).default(['aufs', 'ecryptfs', 'nfs', 'nfs4', 'overlay', 'zfs']),
  unencrypted: z.boolean().default(true),
  /** where edgecore's config lives (keadm default); it names the edged root directory */
  edgecoreConfig: z.string().startsWith('/').default('/etc/kubeedge/config/edgecore.yaml'),
});

export const Thresholds = z.strictObject({
  diskTotalMb: z.number().nonnegative().default(1024),
  diskFreeMb: z.number().nonnegative().default(512),
  diskUsedPctMax: z.number().min(0).max(100).default(90),
  edgecoreRssMb: z.number().positive().default(70),
  podStartP99Ms: z.number().positive().default(5_000),
  meshP99Ms: z.number().positive().default(500),
  /** how far the board's clock may be from the lab host's: TLS to cloudcore fails on a clock outside a certificate's validity */
  clockSkewMaxS: z.number().positive().default(60),
});

export const Profile = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().min(1),
  /** which suites run on boards of this profile */
  suites: z.array(z.string().min(1)).min(1),
  /** check IDs that do not apply to this profile (reported SKIP with this profile as the reason) */
  notApplicable: z.array(z.strictObject({ check: checkId, reason: z.string().min(5) })).default([]),
  kernel: KernelPolicy.prefault({}),
  cgroups: CgroupPolicy.prefault({}),
  storage: StoragePolicy.prefault({}),
  thresholds: Thresholds.default({ diskTotalMb: 1024, diskFreeMb: 512, diskUsedPctMax: 90, edgecoreRssMb: 70, podStartP99Ms: 5000, meshP99Ms: 500, clockSkewMaxS: 60 }),
  timeouts: Timeouts.prefault({}),
  waivers: z.array(Waiver).default([]),
  /** certify: security findings FAIL; nightly: reported as findings (PASS with a finding attached) */
  security: z.enum(['certify', 'findings']).default('findings'),
});
export type Profile = z.infer<typeof Profile>;
