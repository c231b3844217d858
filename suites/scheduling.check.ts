import { randomBytes } from 'node:crypto';
import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { shQuote } from '../harness/core/quote.ts';
import { waitFor } from '../harness/core/wait.ts';
import { api, cloudOf, podState, waitPodGone, waitPodRunning, type CloudSession } from '../harness/fixtures/cloud.ts';
import { SLEEPER, boardContainers, createPod, deletePod, edgePodSpec, labImageRef, namespaceContainers } from '../harness/fixtures/cloud-pods.ts';

const SUITE = 'scheduling';
const DEPLOY = 'sched-web';

async function setup(c: CheckContext): Promise<{ s: CloudSession; image: string }> {
  const s = await cloudOf(c, SUITE);
  return { s, image: await labImageRef(c) };
}

async function deploymentPods(s: CloudSession) {
  const list = await api('list deployment pods', () => s.core.listNamespacedPod({ namespace: s.namespace, labelSelector: `app=${DEPLOY}` }));
  return list.items;
}

async function waitDeployment(c: CheckContext, s: CloudSession, exclude: string[] = []): Promise<string[]> {
  const r = await waitFor(`3 pods of deployment ${DEPLOY} Running on ${s.nodeName}`, c.timeouts.podRunning, async () => {
    const pods = (await deploymentPods(s)).filter((p) => !p.metadata?.deletionTimestamp && !exclude.includes(p.metadata!.name!));
    const running = pods.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName === s.nodeName && (p.status.containerStatuses ?? []).every((x) => x.state?.running));
    return { done: running.length === 3, state: pods.map((p) => `${p.metadata?.name}: ${podState(p)}`) };
  }, { intervalMs: 300, onTimeout: 'FAIL' });
  return r.state.map((x) => x.split(':')[0]!);
}

suite('scheduling', () => {
  check(
    {
      id: 'SCHED-POD-RUNNING',
      title: 'A pod for this edge node runs on the board within the budget',
      requirement: 'A pod selecting this node (node-role.kubernetes.io/edge and kubernetes.io/hostname) MUST be Running within the profile\'s podRunning timeout, as a container on the board\'s dockerd.',
      source: 'seed 002 problem 6 ("the cloud is unable to issue tasks": pods never ran until edged\'s root dir moved next to docker\'s); KubeEdge e2e kubeedge tests/e2e/apps/deployment.go E2E_POD_DEPLOYMENT_1 (pod Running on the edge node; WaitForPodsRunning allows 240 s)',
      remediation: 'read edgecore\'s log for the pod; put edged\'s root directory on docker\'s data-root filesystem (seed 002 problem 6); make sure the image is on the board (offline)',
    },
    async (c) => {
      const { s, image } = await setup(c);
      await createPod(s, 'sched-one', edgePodSpec(s, image, { command: SLEEPER }));
      const { pod, elapsedMs } = await waitPodRunning(s, 'sched-one', c.timeouts.podRunning);
      c.measure('pod Running after create', elapsedMs, 'ms');
      const ctrs = await boardContainers(c, pod.metadata!.uid!);
      c.note('containers on the board', ctrs.map((x) => `${x.name} ${x.state}`).join('\n') || '(none)');
      c.assert(ctrs.some((x) => !x.sandbox && x.state === 'running'), `the cloud says Running, but the board's dockerd has no running container of pod ${pod.metadata!.uid}`);
    },
  );

  check(
    {
      id: 'SCHED-DEPLOYMENT',
      title: 'A 3-replica deployment runs all replicas on the board',
      requirement: 'All 3 replicas of a Deployment pinned to this node MUST be Running within the podRunning timeout.',
      source: 'KubeEdge e2e kubeedge tests/e2e/apps/deployment.go E2E_APP_DEPLOYMENT_2 (a 3-replica deployment on edge nodes, all pods created and Running)',
      remediation: 'see SCHED-POD-RUNNING; check the board has resources for three pods (memory cgroup, pids limit)',
    },
    async (c) => {
      const { s, image } = await setup(c);
      const labels = { app: DEPLOY };
      await api(`create deployment ${DEPLOY}`, () =>
        s.apps.createNamespacedDeployment({ namespace: s.namespace, body: { metadata: { name: DEPLOY, labels }, spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: edgePodSpec(s, image, { command: SLEEPER }) } } } }),
      );
      const names = await waitDeployment(c, s);
      c.note('replicas', names.join('\n'));
    },
  );

  check(
    {
      id: 'SCHED-POD-RECREATED',
      title: 'A deleted replica is replaced and the old one goes away',
      requirement: 'When a pod of the Deployment is deleted, the board MUST finish its deletion and run a replacement, so 3 replicas are Running again within the podRunning timeout.',
      source: 'KubeEdge e2e kubeedge tests/e2e/apps/deployment.go E2E_APP_DEPLOYMENT_3 (pods deleted by hand are re-created by the deployment controller); graceful deletion is finished by the node agent (gracePeriodSeconds 0)',
      remediation: 'check edgecore\'s log for the deletion (edged must stop the containers and confirm the deletion to the cloud)',
      dependsOn: ['SCHED-DEPLOYMENT'],
    },
    async (c) => {
      const { s } = await setup(c);
      const victim = (await deploymentPods(s)).find((p) => !p.metadata?.deletionTimestamp)!;
      c.assert(victim, 'no pod of the deployment to delete');
      const name = victim.metadata!.name!;
      await deletePod(s, name, 1);
      const goneMs = await waitPodGone(s, name, c.timeouts.podRunning);
      c.measure('deleted pod gone after', goneMs, 'ms');
      const names = await waitDeployment(c, s, [name]);
      c.note('replicas after the deletion', names.join('\n'));
      const left = await boardContainers(c, victim.metadata!.uid!);
      c.assert(left.length === 0, `the deleted pod's containers are still on the board: ${left.map((x) => x.name).join(', ')}`);
    },
  );

  check(
    {
      id: 'SCHED-CHURN',
      title: '10 create/delete cycles leave nothing behind',
      requirement: 'Creating and deleting a pod 10 times in a row MUST each time reach Running and then be gone, leaving no pod in the API and no container on the board.',
      source: 'KubeEdge e2e kubeedge tests/e2e/apps/deployment.go E2E_POD_DEPLOYMENT_4 (create and delete a pod 10 times, each deletion completes); leaked containers would fill the board',
      remediation: 'check edgecore\'s log for failed container removals; look for containers labelled io.kubernetes.pod.namespace of this run on the board',
    },
    async (c) => {
      const { s, image } = await setup(c);
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const name = `churn-${i}-${randomBytes(2).toString('hex')}`;
        await createPod(s, name, edgePodSpec(s, image, { command: SLEEPER }), { churn: 'true' });
        times.push((await waitPodRunning(s, name, c.timeouts.podRunning)).elapsedMs);
        await deletePod(s, name, 1);
        await waitPodGone(s, name, c.timeouts.podRunning);
      }
      c.measure('churn: slowest start', Math.max(...times), 'ms');
      const pods = await api('list churn pods', () => s.core.listNamespacedPod({ namespace: s.namespace, labelSelector: 'churn=true' }));
      c.assert(pods.items.length === 0, `pods left in the API: ${pods.items.map((p) => p.metadata?.name).join(', ')}`);
      const r = await waitFor('no churn container left on the board', 30_000, async () => {
        const left = (await namespaceContainers(c, s.namespace)).filter((n) => n.includes('_churn-'));
        return { done: left.length === 0, state: left };
      }, { intervalMs: 500, onTimeout: 'FAIL' }).catch((e) => c.fail(`containers left on the board after the churn: ${(e as Error).message}`));
      void r;
    },
  );

  check(
    {
      id: 'SCHED-HOSTPATH',
      title: 'A hostPath volume writes through to the board',
      requirement: 'A file a pod writes into a hostPath volume MUST appear at that path on the board.',
      source: 'KubeEdge e2e kubeedge tests/e2e/apps/deployment.go E2E_POD_DEPLOYMENT_5 (pod with a hostPath volume); seed 002 problem 6 (edged and docker must see the same paths)',
      remediation: 'run dockerd and edgecore in the same mount namespace after the seeds\' bind mounts, and keep edged\'s root dir on docker\'s filesystem',
    },
    async (c) => {
      const { s, image } = await setup(c);
      const base = c.board.spec.os === 'linux' ? '/tmp' : '/data/local/tmp';
      const dir = `${base}/edgecert-hostpath-${randomBytes(4).toString('hex')}`;
      const token = randomBytes(8).toString('hex');
      c.board.cleanup.add(`hostPath dir ${dir}`, () => c.run(`rm -rf ${shQuote(dir)}`));
      await createPod(s, 'sched-hostpath', edgePodSpec(s, image, { command: ['sh', '-c', `echo ${token} > /data/marker && exec ${SLEEPER.map(shQuote).join(' ')}`], volumes: [{ name: 'data', hostPath: dir, mountPath: '/data' }] }));
      await waitPodRunning(s, 'sched-hostpath', c.timeouts.podRunning);
      const r = await waitFor(`${dir}/marker on the board`, 15_000, async () => {
        const x = await c.run(`cat ${shQuote(`${dir}/marker`)}`, { timeout: c.timeouts.command });
        return { done: x.stdout.trim() === token, state: (x.stdout || x.stderr).trim().slice(0, 200) };
      }, { intervalMs: 500, onTimeout: 'FAIL' });
      void r;
    },
  );
});
