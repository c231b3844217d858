import { randomBytes } from 'node:crypto';
import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { waitFor } from '../harness/core/wait.ts';
import { cloudOf, readNode, waitPodRunning } from '../harness/fixtures/cloud.ts';
import { edgecorePid } from '../harness/fixtures/cloud-board.ts';
import { ensureBackend, requestsFromBoard, waitMeshServes } from '../harness/fixtures/cloud-mesh.ts';
import { SLEEPER, createPod, edgePodSpec, labImageRef, percentile } from '../harness/fixtures/cloud-pods.ts';
import { vmRssKb } from '../harness/parse/cloud-edgecore.ts';

const SUITE = 'budgets';
const START_SAMPLES = 10;
const MESH_SAMPLES = 50;

async function edgecoreRssMb(c: CheckContext): Promise<number> {
  const pid = await edgecorePid(c);
  if (!pid) c.fail('no edgecore process on the board to measure');
  const r = await c.run(`cat /proc/${pid}/status`, { timeout: c.timeouts.command });
  const kb = vmRssKb(r.stdout);
  if (kb === undefined) c.infra(`no VmRSS in /proc/${pid}/status (exit ${r.exitCode})`);
  return Math.round((kb! / 1024) * 10) / 10;
}

suite('budgets', () => {
  check(
    {
      id: 'BUDGET-EDGECORE-RSS',
      title: 'edgecore stays within its memory budget at 0, 5 and 10 pods',
      requirement: 'edgecore\'s resident memory (VmRSS, as `ps` reports RSS) MUST stay at or below the profile\'s edgecoreRssMb with 0, 5 and 10 of this check\'s pods running.',
      source: 'KubeEdge claims a ~70 MB memory footprint (seed 000); KubeEdge\'s own measurement uses ps RSS',
      remediation: 'disable unused edgecore modules (eventBus, deviceTwin, serviceBus), use a release build, and look for leaks in edgecore\'s pod handling',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const image = await labImageRef(c);
      const limit = c.profile.thresholds.edgecoreRssMb;
      const seen: string[] = [];
      let created = 0;
      for (const n of [0, 5, 10]) {
        for (; created < n; created++) await createPod(s, `rss-${created}`, edgePodSpec(s, image, { command: SLEEPER }), { budget: 'rss' });
        for (let i = 0; i < n; i++) await waitPodRunning(s, `rss-${i}`, c.timeouts.podRunning);
        const mb = await edgecoreRssMb(c);
        c.measure(`edgecore RSS at ${n} pods`, mb, 'MB');
        seen.push(`${n} pods: ${mb} MB`);
      }
      c.note('edgecore RSS', `${seen.join('\n')}\nlimit: ${limit} MB`);
      const over = seen.filter((l) => Number(/: ([\d.]+) MB/.exec(l)![1]) > limit);
      c.assert(over.length === 0, `edgecore RSS above the ${limit} MB budget at ${over.join('; ')}`);
    },
  );

  check(
    {
      id: 'BUDGET-REGISTRATION',
      title: 'edgecore is back and the node Ready soon after an edgecore restart',
      requirement: 'After edgecore is stopped, its supervisor MUST restart it and the node MUST post Ready with a fresh heartbeat within the profile\'s nodeReady timeout; the latency is recorded.',
      source: 'keadm installs edgecore as a service that restarts on exit: a restarted edgecore must register again (node Ready) within the profile\'s budget',
      remediation: 'run edgecore under a supervisor with restart on exit (systemd Restart=always, an init service on Android/OpenHarmony) and check its start-up log',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const pid = await edgecorePid(c);
      if (!pid) c.fail('no edgecore process on the board to restart');
      const t0 = Date.now();
      await c.must(`kill -TERM ${pid}`, { what: `stopping edgecore (pid ${pid})` });
      const back = await waitFor('edgecore running again (new pid)', c.timeouts.nodeReady, async () => {
        const now = await edgecorePid(c);
        return { done: !!now && now !== pid, state: now ? `pid ${now}` : 'not running' };
      }, { intervalMs: 250, onTimeout: 'FAIL' });
      const ready = await waitFor(`node ${s.nodeName} Ready with a heartbeat after the restart`, Math.max(1_000, c.timeouts.nodeReady - back.elapsedMs), async () => {
        const r = (await readNode(s))?.status?.conditions?.find((k) => k.type === 'Ready');
        const beat = r?.lastHeartbeatTime ? new Date(r.lastHeartbeatTime as unknown as string).getTime() : 0;
        return { done: r?.status === 'True' && beat >= Math.floor(t0 / 1000) * 1000 + 1000, state: `Ready=${r?.status ?? 'absent'} heartbeat ${r?.lastHeartbeatTime ?? '-'}` };
      }, { intervalMs: 250, onTimeout: 'FAIL' });
      c.measure('edgecore restart to process up', back.elapsedMs, 'ms');
      c.measure('edgecore restart to node Ready (registration latency)', Date.now() - t0, 'ms');
      void ready;
    },
  );

  check(
    {
      id: 'BUDGET-POD-START',
      title: `Pod start latency p99 over ${START_SAMPLES} pods is within the budget`,
      requirement: `The p99 of create -> Running over ${START_SAMPLES} pods (image present on the board) MUST be at or below the profile's podStartP99Ms.`,
      source: 'KubeEdge scalability SLO (pod startup p99 <= 5 s with images present), after the Kubernetes pod startup latency SLO (kubernetes/community sig-scalability/slos/pod_startup_latency.md)',
      remediation: 'profile the board: dockerd container create/start time (storage driver, slow flash), edgecore\'s pod sync delay',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const image = await labImageRef(c);
      const times: number[] = [];
      for (let i = 0; i < START_SAMPLES; i++) {
        const name = `start-${i}-${randomBytes(2).toString('hex')}`;
        const t0 = performance.now();
        await createPod(s, name, edgePodSpec(s, image, { command: SLEEPER }), { budget: 'start' });
        await waitPodRunning(s, name, c.timeouts.podRunning);
        times.push(Math.round(performance.now() - t0));
      }
      const sorted = [...times].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      c.measure('pod start p50', p50, 'ms');
      c.measure('pod start p99', p99, 'ms');
      c.note('pod start samples (ms)', times.join(' '));
      const limit = c.profile.thresholds.podStartP99Ms;
      c.assert(p99 <= limit, `pod start p99 ${p99} ms > ${limit} ms (samples: ${times.join(', ')})`);
    },
  );

  check(
    {
      id: 'BUDGET-MESH-LATENCY',
      title: `EdgeMesh request latency p99 over ${MESH_SAMPLES} requests is within the budget`,
      requirement: `The p99 latency of ${MESH_SAMPLES} HTTP requests from a container on the board through a Service's ClusterIP (EdgeMesh) MUST be at or below the profile's meshP99Ms.`,
      source: 'EdgeMesh service proxying (kubeedge/edgemesh tests/e2e/traffic/traffic_test.go): request latency p50/p99 through a service, as a measurement against the profile\'s meshP99Ms',
      remediation: 'check edgemesh-agent\'s CPU use and log; prefer direct connections to local endpoints over relays',
    },
    async (c) => {
      const s = await cloudOf(c, SUITE);
      const be = await ensureBackend(c, s, 'budget-web', await labImageRef(c));
      await waitMeshServes(c, `http://${be.clusterIP}:${be.port}/`);
      const r = await requestsFromBoard(c, `http://${be.clusterIP}:${be.port}/`, MESH_SAMPLES);
      if (r.failed) c.note('failed requests', String(r.failed));
      c.assert(r.latencies.length > 0, `all ${MESH_SAMPLES} requests failed`);
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      c.measure('mesh request p50', p50, 'ms');
      c.measure('mesh request p99', p99, 'ms');
      c.note('resolution', 'latencies are timed inside the container with /proc/uptime (10 ms steps)');
      const limit = c.profile.thresholds.meshP99Ms;
      c.assert(p99 <= limit, `EdgeMesh request p99 ${p99} ms > ${limit} ms`);
    },
  );
});
