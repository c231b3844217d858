import { randomBytes } from 'node:crypto';
import { containerStats, dockerInfo, runLabContainer } from '../harness/board/lab-image.ts';
import { check, suite } from '../harness/check/index.ts';
import { shQuote } from '../harness/core/quote.ts';
import { missingCapabilities, parseDockerInfo } from '../harness/parse/runtime-docker-info.ts';
import { cfsQuota, cpuSample, cpuShare, markers, type CpuSample } from '../harness/parse/runtime-limits.ts';

const MiB = 1024 * 1024;
// the limits the seeds' workloads rely on, small enough for a 2 GB board
const MEMORY_LIMIT = 32 * MiB;
const CPU_LIMIT = 0.2;
// a throttled loop overshoots its quota a little per period; more than half again is not throttling
const CPU_TOLERANCE = 1.5;
const PIDS_LIMIT = 16;
const FORK_ATTEMPTS = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

suite('runtime', () => {
  check(
    {
      id: 'RUNTIME-DOCKER-INFO',
      title: 'dockerd answers `docker info`',
      requirement: 'The board\'s dockerd MUST answer GET /info (`docker info`) on its socket without a server error, reporting its version and storage driver.',
      source: 'seed 002 step 9 "Verify the working status of docker" (`docker version`, `docker info`); keadm debug check runtime; KubeEdge edged needs a running container runtime',
      remediation: 'start dockerd (seed 002 step 8) and check its log; a dockerd that accepts connections but never answers is hung (restart it)',
      severity: 'blocker',
    },
    async (c) => {
      const started = Date.now();
      const body = await dockerInfo(c);
      c.measure('docker info latency', Date.now() - started, 'ms');
      const parsed = parseDockerInfo(body);
      if ('error' in parsed) return c.fail(`dockerd answered GET /info with something that is not docker info: ${parsed.error}`);
      const i = parsed.info;
      c.note('docker info', [
        `ServerVersion: ${i.ServerVersion}`,
        `Driver: ${i.Driver}`,
        `CgroupDriver: ${i.CgroupDriver ?? '?'} (cgroup v${i.CgroupVersion ?? '?'})`,
        `DockerRootDir: ${i.DockerRootDir ?? '?'}`,
        `DefaultRuntime: ${i.DefaultRuntime ?? '?'}`,
        `Kernel: ${i.KernelVersion ?? '?'} ${i.Architecture ?? ''}`,
        `OperatingSystem: ${i.OperatingSystem ?? '?'}`,
      ].join('\n'));
      c.note('docker version', i.ServerVersion);
      if (i.Warnings?.length) c.note('docker info warnings', i.Warnings.join('\n'));
      const missing = missingCapabilities(i);
      if (missing.length) c.note('capabilities dockerd reports missing', `${missing.join(', ')} (the matching runtime checks will fail)`);
    },
  );

  check(
    {
      id: 'RUNTIME-LAB-IMAGE-RUN',
      title: 'The lab image runs offline',
      requirement: 'The board MUST run a container of the lab-provided image to completion without network access, returning its output and exit status.',
      source: 'seed 002 step 9 / seed 000 `docker run hello-world` (here with an image the lab provides, since edge sites are often offline)',
      remediation: 'check dockerd\'s log for the runtime error (runc, overlay mount, cgroup join); see the kernel, cgroups and storage suites',
      dependsOn: ['RUNTIME-DOCKER-INFO'],
    },
    async (c) => {
      const nonce = randomBytes(4).toString('hex');
      const run = await runLabContainer(c, { purpose: 'hello', cmd: ['sh', '-c', `echo ec-hello=${nonce}; uname -m`], hostConfig: { NetworkMode: 'none' } });
      c.assert(run.exitCode === 0, `the container exited ${run.exitCode}: ${(run.stderr || run.stdout).trim().slice(0, 300) || '(no output)'}`);
      c.assert(markers(run.stdout).get('hello') === nonce, `the container did not print what it was told to (expected ec-hello=${nonce}): ${JSON.stringify(run.stdout.slice(0, 200))}`);
      c.measure('docker run of the lab image (start to exit)', run.durationMs, 'ms');
    },
  );

  check(
    {
      id: 'RUNTIME-MEMORY-LIMIT',
      title: 'A container memory limit is enforced (OOM kill)',
      requirement: `A container started with a ${MEMORY_LIMIT / MiB} MiB memory limit (no extra swap) MUST have a process that allocates beyond it OOM-killed, while an allocation below it succeeds.`,
      source: 'moby contrib/check-config.sh (MEMCG, MEMCG_SWAP); seed 002 step 5-6 (memory cgroup mounted by hand); k8s system-validators (cgroup memory required); KubeEdge pods rely on limits',
      remediation: 'enable CONFIG_MEMCG (and CONFIG_MEMCG_SWAP), mount the memory cgroup (v1: /sys/fs/cgroup/memory) before dockerd starts',
      dependsOn: ['RUNTIME-DOCKER-INFO', 'RUNTIME-LAB-IMAGE-RUN'],
    },
    async (c) => {
      // dd's buffer is the allocation: reading /dev/zero into bs bytes touches every page of it
      const script = [
        'dd if=/dev/zero of=/dev/null bs=8M count=1 2>/dev/null; echo ec-small-exit=$?',
        'dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo ec-big-exit=$?',
        'echo ec-cg-limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max 2>/dev/null)',
      ].join('\n');
      const run = await runLabContainer(c, { purpose: 'memlimit', cmd: ['sh', '-c', script], hostConfig: { NetworkMode: 'none', Memory: MEMORY_LIMIT, MemorySwap: MEMORY_LIMIT } });
      const m = markers(run.stdout);
      const why = run.warnings.length ? ` (dockerd said: ${run.warnings.join('; ')})` : '';
      c.assert(m.get('small-exit') === '0', `allocating 8 MiB under the ${MEMORY_LIMIT / MiB} MiB limit failed (exit ${m.get('small-exit') ?? 'not reached'}; container exit ${run.exitCode})${why}`);
      const big = m.get('big-exit');
      c.assert(big !== '0', `a 64 MiB allocation succeeded under a ${MEMORY_LIMIT / MiB} MiB limit: the limit is not enforced${why}; cgroup limit seen in the container: ${m.get('cg-limit') || 'unreadable'}`);
      const killed = big === '137' || run.oomKilled || (big === undefined && run.exitCode === 137);
      c.assert(killed, `the 64 MiB allocation failed without an OOM kill (dd exit ${big ?? 'not reached'}, container exit ${run.exitCode}, OOMKilled ${run.oomKilled})`);
      c.note('memory limit', `dd 64M exit ${big ?? '-'} (137 = SIGKILL), State.OOMKilled=${run.oomKilled}, cgroup limit ${m.get('cg-limit') || 'unreadable'}`);
    },
  );

  check(
    {
      id: 'RUNTIME-CPU-QUOTA',
      title: 'A container CPU quota is enforced (measured)',
      requirement: `A busy loop in a container started with --cpus ${CPU_LIMIT} MUST use no more than ${CPU_LIMIT} of a CPU (measured over seconds, with ${CPU_TOLERANCE}x tolerance).`,
      source: 'seed 000 "CONFIG_SCHED_WALT -> CONFIG_CFS_BANDWIDTH" (WALT hides CFS bandwidth control); moby contrib/check-config.sh (CFS_BANDWIDTH, CGROUP_SCHED); k8s system-validators (cgroup cpu required)',
      remediation: 'enable CONFIG_CFS_BANDWIDTH and CONFIG_FAIR_GROUP_SCHED (on Android kernels with WALT too), mount the cpu cgroup before dockerd starts',
      dependsOn: ['RUNTIME-DOCKER-INFO', 'RUNTIME-LAB-IMAGE-RUN'],
    },
    async (c) => {
      const script = [
        'echo ec-quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us 2>/dev/null)',
        'echo ec-period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us 2>/dev/null)',
        'echo ec-cpumax=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null)',
        '(while :; do :; done) & sleep 9; kill $!; echo ec-done=1',
      ].join('\n');
      const samples: CpuSample[] = [];
      const run = await runLabContainer(c, {
        purpose: 'cpuquota',
        cmd: ['sh', '-c', script],
        hostConfig: { NetworkMode: 'none', NanoCpus: CPU_LIMIT * 1e9 },
        // dockerd timestamps each sample (`read`), so the API's own latency does not skew the share
        whileRunning: async (container) => {
          for (const pause of [1_500, 4_000]) {
            await sleep(pause);
            const stats = await containerStats(c, container);
            const s = cpuSample(stats);
            // dockerd reads these from the container's cpuacct cgroup: no value is the board's runtime failing
            if (!s) return c.fail(`dockerd's stats of the running container carry no CPU usage (cpu_stats.cpu_usage.total_usage, read): ${JSON.stringify(stats).slice(0, 300)}`);
            samples.push(s);
          }
        },
      });
      const m = markers(run.stdout);
      const quota = cfsQuota(m.get('quota') || undefined, m.get('period') || undefined, m.get('cpumax') || undefined);
      const share = cpuShare(samples[0]!, samples[1]!);
      if (share === undefined) return c.fail(`dockerd's CPU usage of the container went backwards or its clock did not advance: ${JSON.stringify(samples)}`);
      c.measure(`CPU used by a busy loop under --cpus ${CPU_LIMIT}`, Math.round(share * 1000) / 1000, 'CPUs');
      c.note('cpu quota', `cgroup quota ${quota === undefined ? 'unreadable in the container' : quota === Infinity ? 'unlimited' : `${quota} CPUs`}; measured ${share.toFixed(3)} CPUs over ${((samples[1]!.readMs - samples[0]!.readMs) / 1000).toFixed(1)} s`);
      if (quota !== undefined) c.assert(Math.abs(quota - CPU_LIMIT) < 0.01, `the container's cgroup holds a CPU quota of ${quota === Infinity ? 'unlimited' : quota}, not ${CPU_LIMIT}`);
      c.assert(share <= CPU_LIMIT * CPU_TOLERANCE, `a busy loop used ${share.toFixed(3)} CPUs under --cpus ${CPU_LIMIT} (allowed up to ${(CPU_LIMIT * CPU_TOLERANCE).toFixed(2)}): the quota is not enforced`);
      if (quota === undefined && share < 0.02) c.infra(`the busy loop got almost no CPU (${share.toFixed(3)}) and the quota is not visible in the container: the board is too loaded to judge`);
    },
  );

  check(
    {
      id: 'RUNTIME-PIDS-LIMIT',
      title: 'A container pids limit is enforced',
      requirement: `In a container started with --pids-limit ${PIDS_LIMIT}, forking beyond ${PIDS_LIMIT} processes MUST fail.`,
      source: 'moby contrib/check-config.sh (CGROUP_PIDS); seed 002 kernel config (+CONFIG_CGROUP_PIDS) and step 6 (pids cgroup mounted); k8s system-validators (cgroup pids required)',
      remediation: 'enable CONFIG_CGROUP_PIDS and mount the pids cgroup (v1: /sys/fs/cgroup/pids) before dockerd starts',
      dependsOn: ['RUNTIME-DOCKER-INFO', 'RUNTIME-LAB-IMAGE-RUN'],
    },
    async (c) => {
      const script = [
        'echo ec-pids-max=$(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max 2>/dev/null)',
        `i=0; while [ $i -lt ${FORK_ATTEMPTS} ]; do sleep 20 & i=$((i+1)); echo ec-started=$i; done`,
        'echo ec-all=started',
      ].join('\n');
      const run = await runLabContainer(c, { purpose: 'pidslimit', cmd: ['sh', '-c', script], hostConfig: { NetworkMode: 'none', PidsLimit: PIDS_LIMIT } });
      const m = markers(run.stdout);
      const started = Number(m.get('started') ?? 0);
      const why = run.warnings.length ? ` (dockerd said: ${run.warnings.join('; ')})` : '';
      c.assert(started >= 1, `the container could not fork at all (exit ${run.exitCode}): ${(run.stderr || run.stdout).trim().slice(0, 200)}`);
      c.assert(!m.has('all') && started < FORK_ATTEMPTS, `all ${FORK_ATTEMPTS} background processes started under --pids-limit ${PIDS_LIMIT}: the limit is not enforced${why}; pids.max seen in the container: ${m.get('pids-max') || 'unreadable'}`);
      c.assert(started < PIDS_LIMIT, `${started} processes started besides the shell under --pids-limit ${PIDS_LIMIT}`);
      c.note('pids limit', `forks succeeded: ${started} of ${FORK_ATTEMPTS}; pids.max in the container: ${m.get('pids-max') || 'unreadable'}; stderr: ${run.stderr.trim().split('\n')[0] ?? ''}`);
    },
  );

  check(
    {
      id: 'RUNTIME-HOSTPATH-MOUNT',
      title: 'A bind-mounted board directory is shared with the container',
      requirement: 'A board directory bind-mounted into a container (a hostPath volume) MUST show the board\'s files to the container, and files the container writes MUST appear on the board.',
      source: 'seed 002 step 6 (dockerd\'s directories bind-mounted under /data) and problem 6 (edged and docker must see the same paths); KubeEdge e2e hostPath volume',
      remediation: 'start dockerd in the same mount namespace as the board\'s shell and edgecore, after the seeds\' bind mounts (mount --bind /data/... before dockerd)',
      dependsOn: ['RUNTIME-DOCKER-INFO', 'RUNTIME-LAB-IMAGE-RUN'],
    },
    async (c) => {
      const nonce = randomBytes(4).toString('hex');
      const base = await c.must('for d in /data/local/tmp /tmp /var/tmp /data; do if [ -d "$d" ] && [ -w "$d" ]; then echo "$d"; exit 0; fi; done; exit 1', {
        what: 'finding a writable directory on the board (/data/local/tmp, /tmp, /var/tmp, /data)',
      });
      const dir = `${base.stdout.trim().split('\n')[0]}/edgecert-hostpath-${nonce}`;
      await c.must(`mkdir -p ${shQuote(dir)} && echo board-${nonce} > ${shQuote(`${dir}/from-board`)}`, { what: `creating ${dir} on the board` });
      c.board.cleanup.add(`board directory ${dir}`, () => c.board.run(`rm -rf ${shQuote(dir)}`));
      const run = await runLabContainer(c, {
        purpose: 'hostpath',
        cmd: ['sh', '-c', `cat /ec-hostpath/from-board; echo container-${nonce} > /ec-hostpath/from-container && echo ec-wrote=1`],
        hostConfig: { NetworkMode: 'none', Binds: [`${dir}:/ec-hostpath`] },
      });
      c.assert(run.stdout.includes(`board-${nonce}`), `the container does not see the board's file ${dir}/from-board through the bind mount (it printed ${JSON.stringify((run.stdout + run.stderr).slice(0, 200))})`);
      c.assert(markers(run.stdout).get('wrote') === '1', `the container could not write into the bind mount: ${run.stderr.trim().slice(0, 200)}`);
      const back = await c.run(`cat ${shQuote(`${dir}/from-container`)}`, { timeout: c.timeouts.command });
      c.assert(back.stdout.trim() === `container-${nonce}`, `the file the container wrote is not on the board at ${dir}/from-container (${back.exitCode === 0 ? JSON.stringify(back.stdout.slice(0, 80)) : back.stderr.trim() || `exit ${back.exitCode}`}): dockerd and the board shell do not share the directory`);
    },
  );
});
