// The edge stand-ins on two real netns boards against the lab control plane: registration, real containers, the
// metaServer, EdgeMesh DNS and cross-board proxying, autonomy through a real iptables cut, and idempotent up/down.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClient, type KubeClient } from '../../lab/edge/agent/kube-client.ts';
import { edgeDown, edgeStatus, edgeUp, type LabControlPlane } from '../../lab/edge/index.ts';
import { TEST_STATE, boardsDown, boardsUp, canRunBoards, inBoard, testBoard } from './edge-helpers.ts';

const b1 = testBoard('vl-edge-t1', 241);
const b2 = testBoard('vl-edge-t2', 242);
const NS = 'edge-standins';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

function webPod(name: string, node: string): any {
  return {
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      nodeSelector: { 'node-role.kubernetes.io/edge': '', 'kubernetes.io/hostname': node },
      containers: [{ name: 'web', image: 'edgecert/busybox:lab', command: ['sh', '-c', 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 80 -h /www'], ports: [{ containerPort: 80 }] }],
      terminationGracePeriodSeconds: 1,
    },
  };
}

describe.skipIf(!canRunBoards())('edge stand-ins on netns boards', () => {
  let cp: LabControlPlane;
  let k: KubeClient;

  beforeAll(async () => {
    cp = await boardsUp([b1, b2]);
    k = kubeClient({ server: cp.url, ca: readFileSync(cp.caFile), token: cp.token });
    await Promise.all([edgeUp(b1, { controlPlane: cp, stateDir: TEST_STATE }), edgeUp(b2, { controlPlane: cp, stateDir: TEST_STATE })]);
    await k.call('DELETE', `/api/v1/namespaces/${NS}`);
    await until('old test namespace gone', 30_000, async () => ((await k.call('GET', `/api/v1/namespaces/${NS}`)).status === 404 ? true : undefined));
    await k.must('POST', '/api/v1/namespaces', { metadata: { name: NS } });
  }, 240_000);

  afterAll(async () => {
    await k?.call('DELETE', `/api/v1/namespaces/${NS}`).catch(() => undefined);
    await sleep(3_000);
    k?.close();
    if (process.env.EDGE_TEST_KEEP !== '1') await boardsDown([b1, b2]);
  }, 120_000);

  it('registers a Ready edge node with the upstream labels, version format and the interface address', async () => {
    const n = await k.must('GET', `/api/v1/nodes/${b1.id}`);
    expect(n.metadata.labels).toMatchObject({ 'node-role.kubernetes.io/edge': '', 'node-role.kubernetes.io/agent': '', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': b1.id, 'kubernetes.io/os': 'linux' });
    expect(n.status.nodeInfo.kubeletVersion).toMatch(/^v\d+\.\d+\.\d+-kubeedge-v\d+\.\d+\.\d+$/);
    expect(n.status.addresses).toContainEqual({ type: 'InternalIP', address: '10.77.0.241' });
    expect(n.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    const lease = await k.must('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${b1.id}`);
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
    expect(edgeStatus(b1, { stateDir: TEST_STATE }).edgecore.running).toBe(true);
    const pid = edgeStatus(b1, { stateDir: TEST_STATE }).edgecore.pid;
    expect((await inBoard(b1, `cat /proc/${pid}/comm`)).stdout.trim()).toBe('edgecore');
  });

  it('keeps the stand-ins on a second edgeUp with the same config', async () => {
    const r = await edgeUp(b1, { controlPlane: cp, stateDir: TEST_STATE });
    expect(r.action).toBe('kept');
  });

  it('runs a pod as real containers on the board dockerd and reports it Running with its pod IP', async () => {
    await k.must('POST', `/api/v1/namespaces/${NS}/pods`, webPod('web1', b1.id));
    const pod = await until('web1 Running', 60_000, async () => {
      const p = await k.must('GET', `/api/v1/namespaces/${NS}/pods/web1`);
      return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    expect(pod.status.podIP).toMatch(/^172\.30\.241\./);
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: 'web', ready: true, restartCount: 0 });
    const d = await inBoard(b1, `docker ps --filter label=io.kubernetes.pod.uid=${pod.metadata.uid} --format '{{.Names}}'`);
    expect(d.stdout).toContain('k8s_web_web1_');
    expect(d.stdout).toContain('k8s_POD_web1_');
    const ms = await inBoard(b1, `wget -q -O - http://127.0.0.1:10550/api/v1/pods 2>/dev/null || busybox wget -q -O - http://127.0.0.1:10550/api/v1/pods`);
    expect(JSON.parse(ms.stdout).items.map((p: any) => p.metadata.name)).toContain('web1');
  }, 90_000);

  it('serves a Service through EdgeMesh DNS and proxy, also from another board', async () => {
    await k.must('POST', `/api/v1/namespaces/${NS}/services`, { metadata: { name: 'web1', namespace: NS }, spec: { selector: { app: 'web1' }, ports: [{ port: 8080, targetPort: 80 }] } });
    const ip = await until('DNS answer on b2', 30_000, async () => {
      const r = await inBoard(b2, `busybox nslookup web1.${NS}.svc.cluster.local 169.254.96.16`);
      return /Address:\s*(10\.\d+\.\d+\.\d+)/.exec(r.stdout.split('Name:')[1] ?? '')?.[1];
    });
    // b2 has no web1 pod: the request crosses the lab bridge through b1's tunnel
    const body = await until('HTTP through the mesh from b2', 30_000, async () => {
      const r = await inBoard(b2, `busybox wget -q -O - http://${ip}:8080/`);
      return r.exitCode === 0 ? r.stdout.trim() : undefined;
    });
    expect(body).toBe('web1');
    const inPod = await inBoard(b2, `docker run --rm --dns 169.254.96.16 --dns-search ${NS}.svc.cluster.local edgecert/busybox:lab wget -q -O - http://${ip}:8080/`);
    expect(inPod.stdout.trim()).toBe('web1');
  }, 90_000);

  it('keeps pods and the metaServer while the cloud link is cut, and resyncs without restarts', async () => {
    const before = (await inBoard(b1, `docker ps -q --no-trunc --filter label=io.kubernetes.container.name=web`)).stdout.trim();
    expect(before).not.toBe('');
    await inBoard(b1, 'iptables -w -I OUTPUT -d 10.77.0.1 -p tcp --dport 16443 -j DROP');
    try {
      await until('node Unknown in the cloud', 40_000, async () => {
        const n = await k.must('GET', `/api/v1/nodes/${b1.id}`);
        return n.status.conditions.find((c: any) => c.type === 'Ready').status === 'Unknown' ? true : undefined;
      });
      const ms = await inBoard(b1, 'busybox wget -q -O - http://127.0.0.1:10550/api/v1/pods');
      expect(JSON.parse(ms.stdout).items.map((p: any) => p.metadata.name)).toContain('web1');
      expect((await inBoard(b1, `docker ps -q --no-trunc --filter label=io.kubernetes.container.name=web`)).stdout.trim()).toBe(before);
    } finally {
      await inBoard(b1, 'iptables -w -D OUTPUT -d 10.77.0.1 -p tcp --dport 16443 -j DROP');
    }
    await until('node Ready again', 40_000, async () => {
      const n = await k.must('GET', `/api/v1/nodes/${b1.id}`);
      return n.status.conditions.find((c: any) => c.type === 'Ready').status === 'True' ? true : undefined;
    });
    const p = await k.must('GET', `/api/v1/namespaces/${NS}/pods/web1`);
    expect(p.status.containerStatuses[0].restartCount).toBe(0);
    expect((await inBoard(b1, `docker ps -q --no-trunc --filter label=io.kubernetes.container.name=web`)).stdout.trim()).toBe(before);
  }, 120_000);

  it('finishes a graceful deletion: containers gone, pod gone from the API', async () => {
    await k.must('DELETE', `/api/v1/namespaces/${NS}/pods/web1`, { gracePeriodSeconds: 1 });
    await until('web1 deleted', 30_000, async () => ((await k.call('GET', `/api/v1/namespaces/${NS}/pods/web1`)).status === 404 ? true : undefined));
    await until('containers removed', 15_000, async () => ((await inBoard(b1, `docker ps -aq --filter label=io.kubernetes.pod.name=web1`)).stdout.trim() === '' ? true : undefined));
  }, 60_000);

  it('edgeDown stops both stand-ins', async () => {
    await edgeDown(b2, { stateDir: TEST_STATE });
    const s = edgeStatus(b2, { stateDir: TEST_STATE });
    expect(s.edgecore.running || s.edgemesh.running).toBe(false);
  }, 30_000);
});
