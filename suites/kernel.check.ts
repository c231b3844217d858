import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { KERNEL_CONFIG_PATHS } from '../harness/board/facts.ts';
import {
  GZIP_READERS,
  compareVersions,
  configProblem,
  describeOptions,
  formatVersion,
  isEnabled,
  isGzipPath,
  judgeAnyOf,
  judgeForbidden,
  judgeRequired,
  parseKernelConfig,
  parseKernelRelease,
  parseMajorMinor,
  parseReaderOutput,
  readConfigCommand,
  type KernelConfig,
} from '../harness/parse/kernel-config.ts';
import { NAMESPACES_COMMAND, judgeNamespaces, parseNamespaces, parseProcFilesystems } from '../harness/parse/kernel-runtime.ts';
import { PROBE_UID, inetSocketProbeScript, parseInetProbe } from '../harness/parse/inet-socket.ts';
import { waiversFor } from '../harness/parse/waivers.ts';

// The config is read once per board and shared by the option-set checks; the first reader records the evidence.
const configs = new WeakMap<object, Promise<{ path: string; reader: string; cfg: KernelConfig }>>();

function kernelConfig(c: CheckContext): Promise<{ path: string; reader: string; cfg: KernelConfig }> {
  let p = configs.get(c.board);
  if (!p) configs.set(c.board, (p = readKernelConfig(c)));
  return p;
}

async function readKernelConfig(c: CheckContext): Promise<{ path: string; reader: string; cfg: KernelConfig }> {
  const path = c.board.facts.kernelConfigPath;
  const release = c.board.facts.kernelRelease || '$(uname -r)';
  if (!path) c.fail(`no readable, non-empty kernel config at any of: ${KERNEL_CONFIG_PATHS.map((p) => p.replace('$(uname -r)', release)).join(', ')}`);
  const attempts: string[] = [];
  for (const reader of isGzipPath(path) ? GZIP_READERS : [null]) {
    const what = reader ?? 'cat';
    const r = await c.run(readConfigCommand(path, reader));
    if (r.timedOut) {
      attempts.push(`${what}: timed out after ${r.durationMs} ms`);
      continue;
    }
    const out = parseReaderOutput(r.stdout);
    if (out.missing) {
      attempts.push(`${what}: not on the board`);
      continue;
    }
    if (out.status !== 0) {
      attempts.push(`${what}: exited ${out.status ?? '(no status line)'}: ${(r.stderr || out.text).trim().split('\n').at(-1)?.slice(0, 160) ?? ''}`);
      continue;
    }
    const cfg = parseKernelConfig(out.text);
    const problem = configProblem(cfg);
    if (problem) {
      attempts.push(`${what}: ${problem}`);
      continue;
    }
    return { path, reader: what, cfg };
  }
  return c.fail(`${path} exists but no reader produced a usable kernel config: ${attempts.join('; ')}`);
}

suite('kernel', () => {
  check(
    {
      id: 'KERNEL-CONFIG-SOURCE',
      title: 'The running kernel exposes its build configuration',
      requirement:
        'The board MUST expose the running kernel\'s configuration at a standard path (/proc/config.gz, /boot/config-$(uname -r), /lib/modules/$(uname -r)/build/.config ...) readable as a complete config.',
      source: 'moby contrib/check-config.sh (possibleConfigs); seed 002 "Export the original configuration for detection" (cat /proc/config.gz)',
      remediation: 'Build the kernel with CONFIG_IKCONFIG=y and CONFIG_IKCONFIG_PROC=y, or install the config as /boot/config-$(uname -r) (Debian kernels do); keep gzip/zcat or busybox on the board.',
      severity: 'blocker',
    },
    async (c: CheckContext) => {
      const { path, reader, cfg } = await kernelConfig(c);
      c.note('kernel config source', `${path} read with ${reader}`);
      c.measure('kernel options set', [...cfg.options.values()].filter((v) => v !== 'n').length, 'options');
      // /boot/config without a release, or a source tree, may describe another kernel than the one running
      if (path !== '/proc/config.gz' && !path.includes(c.board.facts.kernelRelease)) {
        c.note('warning', `${path} is not tied to the running kernel ${c.board.facts.kernelRelease}; it may be stale`);
      }
    },
  );

  check(
    {
      id: 'KERNEL-CONFIG-REQUIRED',
      title: 'Every kernel option the profile requires is enabled',
      requirement:
        'The kernel MUST enable (y or m) every option of the profile\'s required set — moby\'s "Generally Necessary" list, the Kubernetes system-validators required options and the seeds\' additions — except options the profile waives with a reason.',
      source: 'moby contrib/check-config.sh "Generally Necessary"; kubernetes system-validators DefaultSysSpec KernelSpec.Required; seed 002 rk3568_standard_defconfig diff; seed 000 kernel diff (CFS_BANDWIDTH, OVERLAY_FS)',
      remediation: 'Enable the missing options in the board defconfig (mind their dependencies: seed 002 problem 3, https://cateee.net/lkddb/), rebuild and flash the kernel.',
      severity: 'blocker',
      dependsOn: ['KERNEL-CONFIG-SOURCE'],
    },
    async (c: CheckContext) => {
      const w = waiversFor(c.profile, 'KERNEL-CONFIG-REQUIRED');
      const { cfg } = await kernelConfig(c);
      const k = c.profile.kernel;
      const v = judgeRequired(cfg, k.required, k.requiredBefore, parseKernelRelease(c.board.facts.kernelRelease), w.options);
      c.note('required options', describeOptions(cfg, v.checked));
      if (v.waived.length) c.note('waived options', v.waived.map((x) => `${x.option} (${x.present ? 'enabled' : 'not enabled'}): ${x.reason}`).join('\n'));
      // optional options are reported, never failed (check-config.sh "Optional Features")
      const optionalOff = k.optional.filter((o) => !isEnabled(cfg, o));
      c.measure('optional options enabled', k.optional.length - optionalOff.length, `of ${k.optional.length}`);
      if (optionalOff.length) c.note('optional options not enabled', describeOptions(cfg, optionalOff));
      c.assert(!v.missing.length, `${v.missing.length} required kernel option(s) not enabled: ${v.missing.join(' ')}`, { missing: describeOptions(cfg, v.missing) });
    },
  );

  check(
    {
      id: 'KERNEL-CONFIG-ANYOF',
      title: 'Each group of alternative kernel options has one enabled',
      requirement: 'For each group of alternatives in the profile (e.g. NETFILTER_XT_TARGET_REDIRECT or its alias IP_NF_TARGET_REDIRECT), the kernel MUST enable at least one option.',
      source: 'kubernetes system-validators DefaultSysSpec (NETFILTER_XT_TARGET_REDIRECT, Aliases IP_NF_TARGET_REDIRECT); seed 002 defconfig diff (+CONFIG_IP_NF_TARGET_REDIRECT=y)',
      remediation: 'Enable one option of each unsatisfied group in the board defconfig and rebuild the kernel.',
      dependsOn: ['KERNEL-CONFIG-SOURCE'],
    },
    async (c: CheckContext) => {
      const w = waiversFor(c.profile, 'KERNEL-CONFIG-ANYOF');
      const groups = c.profile.kernel.anyOf;
      if (!groups.length) c.skip(`profile ${c.profile.name} declares no groups of alternative options`);
      const { cfg } = await kernelConfig(c);
      const v = judgeAnyOf(cfg, groups, w.options);
      c.note('groups', groups.map((g) => describeOptions(cfg, g).replace(/\n/g, ' | ')).join('\n'));
      if (v.waived.length) c.note('waived groups', v.waived.map((g) => g.join(' | ')).join('\n'));
      c.assert(!v.unsatisfied.length, `no option enabled in: ${v.unsatisfied.map((g) => g.join(' | ')).join('; ')}`);
    },
  );

  check(
    {
      id: 'KERNEL-CONFIG-FORBIDDEN',
      title: 'No kernel option the profile forbids is enabled',
      requirement: 'The kernel MUST NOT enable any option of the profile\'s forbidden set (e.g. LEGACY_VSYSCALL_NATIVE, an ASLR-bypassing target).',
      source: 'moby contrib/check-config.sh (CONFIG_LEGACY_VSYSCALL_NATIVE reported as dangerous); kubernetes system-validators KernelSpec.Forbidden',
      remediation: 'Disable the listed options in the board defconfig (or boot with the documented override, e.g. vsyscall=emulate) and rebuild.',
      dependsOn: ['KERNEL-CONFIG-SOURCE'],
    },
    async (c: CheckContext) => {
      const w = waiversFor(c.profile, 'KERNEL-CONFIG-FORBIDDEN');
      const forbidden = c.profile.kernel.forbidden;
      if (!forbidden.length) c.skip(`profile ${c.profile.name} forbids no kernel options`);
      const { cfg } = await kernelConfig(c);
      const v = judgeForbidden(cfg, forbidden, w.options);
      c.note('forbidden options', describeOptions(cfg, forbidden));
      if (v.waived.length) c.note('waived (enabled but allowed)', v.waived.join('\n'));
      c.assert(!v.present.length, `forbidden kernel option(s) enabled: ${v.present.join(' ')}`);
    },
  );

  check(
    {
      id: 'KERNEL-VERSION',
      title: 'The kernel is at least the profile\'s minimum version',
      requirement: 'The running kernel\'s release (uname -r) MUST be at least the profile\'s minimum major.minor version.',
      source: 'kubernetes system-validators KernelSpec.Versions (kubeadm preflight SystemVerification); seed 002 environment (OpenHarmony 3.1, Linux 5.10); RK3568 Android BSP kernel 4.19 (seed 000)',
      remediation: 'Move the board to a newer vendor kernel (BSP) that meets the profile minimum.',
    },
    async (c: CheckContext) => {
      const min = c.profile.kernel.minVersion;
      if (!min) c.skip(`profile ${c.profile.name} sets no minimum kernel version`);
      const r = await c.must('uname -r', { what: 'uname -r' });
      const release = r.stdout.trim().split('\n')[0] ?? '';
      const v = parseKernelRelease(release);
      if (!v) c.fail(`uname -r printed ${JSON.stringify(release.slice(0, 80))}, not a kernel release`);
      c.measure('kernel version', v.major + v.minor / 1000, 'major.minor');
      c.assert(compareVersions(v, parseMajorMinor(min)) >= 0, `kernel ${formatVersion(v)} (${release}) is older than the profile minimum ${min}`);
    },
  );

  check(
    {
      id: 'KERNEL-NAMESPACES',
      title: 'The kernel offers the namespaces containers are made of',
      requirement:
        'The running kernel MUST list the profile\'s namespaces (mnt, net, pid, ipc, uts) in /proc/self/ns, and user.max_<ns>_namespaces MUST NOT cap any of them to 0.',
      source: 'moby contrib/check-config.sh (NAMESPACES NET_NS PID_NS IPC_NS UTS_NS); seed 000 kernel diff (+UTS_NS +PID_NS +IPC_NS +USER_NS); seed 002 "cgroup and namespace related features"',
      remediation: 'Enable the CONFIG_*_NS options (see KERNEL-CONFIG-REQUIRED) and raise /proc/sys/user/max_<ns>_namespaces above 0.',
    },
    async (c: CheckContext) => {
      const r = await c.must(NAMESPACES_COMMAND, { what: 'listing /proc/self/ns' });
      const ns = parseNamespaces(r.stdout);
      if (!ns.complete) c.fail('the namespace listing was cut short (garbage or truncated output)');
      const v = judgeNamespaces(ns, c.profile.kernel.namespaces);
      c.note('namespaces', `present: ${[...ns.present].sort().join(' ')}\nlimits: ${[...ns.limits].map(([k, n]) => `${k}=${n}`).join(' ') || '(none readable)'}`);
      const extra = ['user', 'cgroup'].filter((n) => !c.profile.kernel.namespaces.includes(n as never) && !ns.present.has(n));
      if (extra.length) c.note('optional namespaces absent', extra.join(' '));
      c.assert(!v.missing.length, `namespace(s) missing from /proc/self/ns: ${v.missing.join(' ')}`);
      c.assert(!v.capped.length, `namespace creation capped to 0 by user.max_<ns>_namespaces: ${v.capped.join(' ')}`);
    },
  );

  check(
    {
      id: 'KERNEL-FILESYSTEMS',
      title: 'The filesystems the profile relies on are registered',
      requirement: 'The running kernel MUST have every filesystem the profile relies on (overlay; f2fs on DAYU200) registered in /proc/filesystems — built in, or its module loaded.',
      source: 'seed 002 "Modify the overlay filesystem" (+CONFIG_OVERLAY_FS=y) and "Format the sd card as the f2fs file system"; seed 000 "Lack of support for overlay"; moby check-config.sh Storage Drivers (overlay)',
      remediation: 'Build the filesystem in (=y) or load its module at boot (insmod/modprobe overlay, f2fs; f2fs also needs crc32 loaded first).',
    },
    async (c: CheckContext) => {
      const want = c.profile.kernel.filesystems;
      if (!want.length) c.skip(`profile ${c.profile.name} relies on no particular filesystem`);
      const r = await c.must('cat /proc/filesystems', { what: 'reading /proc/filesystems' });
      const have = parseProcFilesystems(r.stdout);
      const missing = want.filter((f) => !have.has(f));
      c.assert(!missing.length, `filesystem(s) not registered with the running kernel: ${missing.join(' ')}`);
    },
  );

  check(
    {
      id: 'KERNEL-UNPRIVILEGED-INET-SOCKET',
      title: 'A process outside AID_INET can open an inet socket',
      requirement:
        `Where the profile requires it, a process running as a uid outside AID_INET (uid ${PROBE_UID}, no supplementary groups) MUST be able to open an AF_INET socket: ANDROID_PARANOID_NETWORK must not deny networking to containers that run as non-root users.`,
      source: 'seed 000 kernel diff (+CONFIG_ANDROID_PARANOID_NETWORK=n, "Impact of the Paranoid Network"); seed 002 defconfig diff (+CONFIG_ANDROID_PARANOID_NETWORK=y): the seeds disagree, the profile decides',
      remediation: 'Build the kernel with CONFIG_ANDROID_PARANOID_NETWORK=n (seed 000), or run every networked workload with supplementary group 3003 (AID_INET).',
    },
    async (c: CheckContext) => {
      const policy = c.profile.kernel.unprivilegedInetSocket;
      const r = await c.run(inetSocketProbeScript(), { timeout: c.timeouts.hangProne });
      if (r.timedOut) c.fail(`the socket probe did not finish within ${r.durationMs} ms`);
      const p = parseInetProbe(r.stdout);
      if (p.switcher === 'none') c.skip('no way to run a command as another uid on this board (tried setpriv, su UID, chpst, setuidgid, su -s nobody)');
      if (p.nc === 'none') c.skip('no nc (nor busybox/toybox) on the board to open a socket with');
      if (!p.complete || !p.control || !p.other) c.fail('the socket probe output was cut short (garbage or truncated output)');
      c.note('probe', `switcher: ${p.switcher} (uid ${p.uid}); nc: ${p.nc}\ncontrol (uid ${p.control.uid}): ${p.control.verdict}: ${p.control.text}\nother: ${p.other.verdict}: ${p.other.text}`);
      if (p.control.verdict !== 'allowed') c.skip(`probe inconclusive: the control socket as uid ${p.control.uid} was not opened (${p.control.text.slice(0, 160)})`);
      if (p.other.verdict === 'unknown') c.skip(`probe inconclusive: nc as uid ${p.uid} neither opened a socket nor was denied one (${p.other.text.slice(0, 160)})`);
      c.measure('non-AID_INET inet socket allowed', p.other.verdict === 'allowed' ? 1 : 0, 'bool');
      if (policy === 'any') return c.note('effect', `uid ${p.uid} ${p.other.verdict === 'allowed' ? 'can' : 'cannot'} open an inet socket (profile accepts either)`);
      c.assert(p.other.verdict === 'allowed', `uid ${p.uid} (outside AID_INET) cannot open an inet socket: ${p.other.text.split('\n').at(-1)?.slice(0, 160)}`);
    },
  );
});
