import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { shQuote } from '../harness/core/quote.ts';
import { cgroupChain, cgroupLayout, controllerMount, parseMemoryStat, parsePidCgroup, parseProcCgroups, type CgroupLayout } from '../harness/parse/cgroups.ts';
import { DOCKERD_PROCS_COMMAND, cgroupParent, daemonJsonPath, dockerdForSocket, parseDockerdProcs } from '../harness/parse/dockerd-cmdline.ts';
import { garbled, mark, markLiteral, parseSections, sectionScript } from '../harness/board/sections.ts';
import { parseMounts } from '../harness/parse/mounts.ts';

/** /proc/mounts and /proc/cgroups in one round trip; garbage from the board's `cat` is the board's failure. */
async function snapshot(c: CheckContext): Promise<{ layout: CgroupLayout; procCgroups: ReturnType<typeof parseProcCgroups> }> {
  const r = await c.must(sectionScript([`${mark('mounts')}; cat /proc/mounts`, `${mark('cgroups')}; cat /proc/cgroups`], '; '), { what: 'reading /proc/mounts and /proc/cgroups' });
  if (garbled(r.stdout)) c.fail('reading /proc/mounts and /proc/cgroups printed binary garbage (is `cat` broken?)');
  const s = parseSections(r.stdout);
  if (!s.complete) c.fail('the /proc/mounts and /proc/cgroups listing was cut short');
  return { layout: cgroupLayout(parseMounts(s.text('mounts') ?? '').mounts), procCgroups: parseProcCgroups(s.text('cgroups') ?? '') };
}

const HIERARCHY = 'CGROUP-HIERARCHY';

suite('cgroups', () => {
  check(
    {
      id: HIERARCHY,
      title: 'A cgroup hierarchy docker can use is mounted',
      requirement:
        'The board MUST mount cgroups the way docker expects — cgroup2 at /sys/fs/cgroup, or one v1 hierarchy per controller — in a version the profile accepts; v1 is reported with a deprecation warning (kubelet >= 1.35 refuses cgroup v1).',
      source: 'moby contrib/check-config.sh ("cgroup hierarchy: properly mounted", "single mountpoint!"); seed 002 step 6 (tmpfs on /sys/fs/cgroup, one mount -t cgroup per controller); kubernetes system-validators CgroupsValidator (v1 "in maintenance mode" warning)',
      remediation: 'Mount a tmpfs on /sys/fs/cgroup and each controller on /sys/fs/cgroup/<controller> (seed 002 step 6, or /etc/cgroups.json), or boot with the unified cgroup2 hierarchy.',
      severity: 'blocker',
    },
    async (c: CheckContext) => {
      const { layout } = await snapshot(c);
      const where = [...layout.v1].map(([ctrl, ms]) => `${ctrl}: ${ms.map((m) => m.mountpoint).join(', ')}`).join('\n');
      c.note('cgroup layout', `version: ${layout.version || 'none'}${layout.unified ? `\ncgroup2 at ${layout.unified}` : ''}${where ? `\n${where}` : ''}`);
      c.assert(layout.version !== 0, 'no cgroup hierarchy is mounted (neither cgroup2 at /sys/fs/cgroup nor any v1 controller)');
      c.assert(!layout.singleMountpoint, 'all v1 controllers are co-mounted on /sys/fs/cgroup itself ("single mountpoint"): docker needs one hierarchy per controller');
      c.measure('cgroup version', layout.version, 'version');
      const accepted = c.profile.cgroups.versions as number[];
      c.assert(accepted.includes(layout.version), `cgroup v${layout.version} is mounted; profile ${c.profile.name} accepts ${accepted.map((v) => `v${v}`).join(', ')}`);
      // warnings are notes on a PASS: the run stays green, the report carries them
      if (layout.version === 1) c.note('warning', 'cgroup v1: kubelet >= 1.35 refuses to start on cgroup v1 (Kubernetes system-validators already warn "cgroups v1 support is in maintenance mode"); KubeEdge releases built on such kubelets will need cgroup v2.');
    },
  );

  check(
    {
      id: 'CGROUP-CONTROLLERS',
      title: 'Every cgroup controller docker and the kubelet need is enabled and mounted',
      requirement:
        'Each required controller (cpu cpuacct cpuset devices freezer memory pids) MUST be enabled in /proc/cgroups and mounted as its own v1 hierarchy, or (cgroup v2) available in cgroup.controllers.',
      source: 'kubernetes system-validators DefaultSysSpec.Cgroups / CgroupsV2 (kubeadm preflight); seed 002 step 6 (mount -t cgroup -o <controller> for each); seed 002 /etc/cgroups.json',
      remediation: 'Enable the controller in the kernel (CONFIG_CGROUP_* / CONFIG_MEMCG / CONFIG_CPUSETS; on kernels >= 6.11 also CONFIG_MEMCG_V1 / CONFIG_CPUSETS_V1 for v1) and mount it: mount -t cgroup -o <controller> cgroup /sys/fs/cgroup/<controller>.',
      dependsOn: [HIERARCHY],
    },
    async (c: CheckContext) => {
      const { layout, procCgroups } = await snapshot(c);
      const { required, optional } = c.profile.cgroups;
      if (procCgroups.bad.length) c.note('unparsed /proc/cgroups lines', procCgroups.bad.join('\n'));
      const enabled = new Set(procCgroups.controllers.filter((x) => x.enabled).map((x) => x.name));
      let available: (ctrl: string) => string | undefined;
      if (layout.version === 2) {
        const root = shQuote(layout.unified ?? '/sys/fs/cgroup');
        const r = await c.must(sectionScript([`${mark('controllers')}; cat ${root}/cgroup.controllers`, `${mark('freeze')}; ls -d ${root}/*/cgroup.freeze 2>/dev/null | head -n 1`], '; '), { what: 'reading cgroup.controllers' });
        const s = parseSections(r.stdout);
        const ctrls = new Set((s.text('controllers') ?? '').split(/\s+/).filter(Boolean));
        const freeze = !!s.text('freeze')?.trim();
        // system-validators: devices is implicit on v2 (BPF), freezer is cgroup.freeze, cpuacct comes with cpu
        available = (x) => (x === 'devices' ? undefined : x === 'freezer' ? (freeze ? undefined : 'no cgroup.freeze in any child cgroup') : ctrls.has(x === 'cpuacct' ? 'cpu' : x) ? undefined : 'not in cgroup.controllers');
      } else {
        available = (x) => (!procCgroups.controllers.some((p) => p.name === x) ? 'not built into the kernel (absent from /proc/cgroups)' : !enabled.has(x) ? 'disabled in /proc/cgroups (enabled = 0)' : !layout.v1.has(x) ? 'enabled but not mounted' : undefined);
      }
      const missing = required.map((x) => [x, available(x)] as const).filter(([, why]) => why);
      const optionalMissing = optional.map((x) => [x, available(x)] as const).filter(([, why]) => why);
      if (optionalMissing.length) c.note('optional controllers unavailable', optionalMissing.map(([x, why]) => `${x}: ${why}`).join('\n'));
      c.assert(!missing.length, `required cgroup controller(s) unavailable: ${missing.map(([x, why]) => `${x} (${why})`).join(', ')}`);
    },
  );

  check(
    {
      id: 'CGROUP-CPUSET-PREFIX',
      title: 'The cpuset hierarchy uses prefixed file names',
      requirement: 'The v1 cpuset hierarchy MUST be mounted without `noprefix`, so that its files are named cpuset.cpus / cpuset.mems as docker (runc) and the kubelet expect.',
      source: 'seed 002 step 6 (mount -t cgroup -o cpuset ... /sys/fs/cgroup/cpuset, prefixed); Android init mounts /dev/cpuset with noprefix (cgroups.json), which runc cannot use',
      remediation: 'Mount the cpuset controller without noprefix (mount -t cgroup -o cpuset cgroup /sys/fs/cgroup/cpuset); on Android drop noprefix from the cpuset entry of cgroups.json / init.rc.',
      dependsOn: [HIERARCHY],
    },
    async (c: CheckContext) => {
      const { layout } = await snapshot(c);
      if (layout.version === 2) c.skip('cgroup v2: cpuset files are always named cpuset.*, there is no noprefix option');
      const mounts = layout.v1.get('cpuset') ?? [];
      if (!mounts.length) c.fail('the cpuset controller is not mounted (see CGROUP-CONTROLLERS)');
      const first = mounts[0]!;
      // runc uses the first cpuset mount in mountinfo: that one must be prefixed
      c.assert(!first.options.includes('noprefix'), `the cpuset hierarchy at ${first.mountpoint} is mounted with noprefix (options ${first.options.join(',')})`);
      const r = await c.run(`ls ${shQuote(first.mountpoint)}/cpuset.mems ${shQuote(first.mountpoint)}/cpuset.cpus`);
      c.assert(r.exitCode === 0 && !r.timedOut, `${first.mountpoint} has no cpuset.mems / cpuset.cpus files: ${(r.stderr || r.stdout).trim().slice(0, 200)}`);
    },
  );

  check(
    {
      id: 'CGROUP-CPUSET-MEMS',
      title: 'cpuset.mems and cpuset.cpus are set where docker creates cgroups',
      requirement:
        'In the v1 cpuset hierarchy, cpuset.mems and cpuset.cpus MUST be non-empty in the root and in every existing cgroup on the way to docker\'s cgroup parent (and dockerd\'s own cgroup); an empty one makes moving a task fail with ENOSPC.',
      source: 'seed 002 "Install edgecore on the OpenHarmony edge" (echo "0" > /dev/cpuset/background/cpuset.mems); runc libcontainer cpuset (copies an empty cpuset.mems from the parent)',
      remediation: 'Write the board\'s memory nodes and CPUs into the empty files, top down: echo 0 > <cpuset>/<cgroup>/cpuset.mems; cat <cpuset>/cpuset.cpus > <cpuset>/<cgroup>/cpuset.cpus (do it in the board init scripts).',
      dependsOn: [HIERARCHY],
    },
    async (c: CheckContext) => {
      const { layout } = await snapshot(c);
      if (layout.version === 2) c.skip('cgroup v2: an empty cpuset.mems inherits the parent\'s effective memory nodes; no ENOSPC on join');
      const mount = controllerMount(layout, 'cpuset');
      if (!mount) c.fail('the cpuset controller is not mounted (see CGROUP-CONTROLLERS)');
      const dirs = new Set<string>(['/']);
      const procs = parseDockerdProcs((await c.run(DOCKERD_PROCS_COMMAND)).stdout);
      const dockerd = dockerdForSocket(procs, c.board.spec.docker.socket) ?? (procs.length === 1 ? procs[0] : undefined);
      let parentNote = 'dockerd not running: checked the root and docker\'s default parent';
      let argv: string[] = [];
      if (dockerd) {
        argv = dockerd.argv;
        const own = parsePidCgroup((await c.run(`cat /proc/${dockerd.pid}/cgroup`)).stdout).get('cpuset');
        if (own) cgroupChain(own).forEach((d) => dirs.add(d));
        parentNote = `dockerd pid ${dockerd.pid}${own ? `, its cpuset cgroup ${own}` : ''}`;
      }
      const json = await c.run(`cat ${shQuote(daemonJsonPath(argv))} 2>/dev/null`);
      const parent = cgroupParent(argv, json.exitCode === 0 ? json.stdout : undefined);
      cgroupChain(parent.parent).forEach((d) => dirs.add(d));
      // edged (cgroupsPerQOS) puts pods under /kubepods when it exists
      dirs.add('/kubepods');
      c.note('docker cgroup parent', `${parent.parent} (${parent.source}); ${parentNote}`);
      const mp = mount.mountpoint;
      const script = [...dirs]
        .map((d) => {
          const dir = shQuote(`${mp}${d === '/' ? '' : d}`);
          return `if [ -d ${dir} ]; then ${markLiteral('dir', d)}; echo "mems=$(cat ${dir}/cpuset.mems 2>/dev/null || cat ${dir}/mems 2>/dev/null)"; echo "cpus=$(cat ${dir}/cpuset.cpus 2>/dev/null || cat ${dir}/cpus 2>/dev/null)"; fi`;
        })
        .join('\n');
      const r = await c.must(sectionScript([script]), { what: 'reading cpuset.mems and cpuset.cpus' });
      if (garbled(r.stdout)) c.fail('reading cpuset.mems printed binary garbage');
      const value = (lines: string[], key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1).trim();
      const seen = parseSections(r.stdout)
        .list.filter((s) => s.name === 'dir' && value(s.lines, 'mems') !== undefined && value(s.lines, 'cpus') !== undefined)
        .map((s) => ({ dir: s.args.join(' '), mems: value(s.lines, 'mems')!, cpus: value(s.lines, 'cpus')! }));
      if (!seen.some((s) => s.dir === '/')) c.fail(`the cpuset root ${mp} could not be read`);
      c.note('cpusets', seen.map((s) => `${s.dir}: mems=${JSON.stringify(s.mems)} cpus=${JSON.stringify(s.cpus)}`).join('\n'));
      const empty = seen.filter((s) => !s.mems || !s.cpus);
      c.assert(!empty.length, `empty cpuset file(s) under ${mp}: ${empty.map((s) => `${s.dir} (${[!s.mems && 'mems', !s.cpus && 'cpus'].filter(Boolean).join(', ')})`).join('; ')}`);
    },
  );

  check(
    {
      id: 'CGROUP-MEMORY-STAT-FORMAT',
      title: 'memory.stat is in the key-value format runc parses',
      requirement: 'Every line of the memory cgroup\'s memory.stat MUST be `key value` with an unsigned integer value; OpenHarmony\'s `Anon: 340432 kB` lines break runc\'s parser and edgecore with it.',
      source: 'seed 002 problem 5 (OpenHarmony memory.stat format vs. runc libcontainer/cgroups/fscommon ParseKeyValue)',
      remediation: 'Fix the kernel\'s memcg memory.stat output to plain `key value` lines, or run an edgecore built with a tolerant ParseKeyValue (seed 002 patches vendor/github.com/opencontainers/runc/libcontainer/cgroups/fscommon/utils.go).',
      dependsOn: [HIERARCHY],
    },
    async (c: CheckContext) => {
      const { layout } = await snapshot(c);
      let files: string[];
      if (layout.version === 2) {
        const self = parsePidCgroup((await c.run('cat /proc/self/cgroup')).stdout).get('') ?? '/';
        const root = layout.unified ?? '/sys/fs/cgroup';
        files = [`${root}/memory.stat`, `${root}${self === '/' ? '' : self}/memory.stat`];
      } else {
        const mount = controllerMount(layout, 'memory');
        if (!mount) c.fail('the memory controller is not mounted (see CGROUP-CONTROLLERS)');
        files = [`${mount.mountpoint}/memory.stat`];
      }
      const script = [...new Set(files)].map((f) => `if [ -r ${shQuote(f)} ]; then ${markLiteral('file', f)}; cat ${shQuote(f)}; fi`);
      const r = await c.must(sectionScript(script), { what: 'reading memory.stat' });
      const read = parseSections(r.stdout);
      if (!read.complete) c.fail('reading memory.stat was cut short');
      const chunks = read.list.filter((s) => s.name === 'file').map((s) => ({ file: s.args.join(' '), text: s.lines.join('\n') }));
      if (!chunks.length) c.fail(`no memory.stat readable at ${files.join(', ')}`);
      const bad = chunks.flatMap((ch) => parseMemoryStat(ch.text).problems.map((p) => `${ch.file}: ${JSON.stringify(p.line)}: ${p.reason}`));
      const parsed = chunks.reduce((n, ch) => n + parseMemoryStat(ch.text).entries.size, 0);
      c.measure('memory.stat keys parsed', parsed, 'keys');
      c.assert(!bad.length, `${bad.length} memory.stat line(s) runc cannot parse, e.g. ${bad[0]}`, { 'unparseable lines': bad.join('\n') });
      c.assert(parsed > 0, 'memory.stat holds no key-value line at all');
    },
  );
});
