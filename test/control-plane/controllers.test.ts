// The built-in deployment controller, scheduler, node lifecycle and pod log hook, seen from client-node.
import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/core/wait.ts';
import { expectApiError, readyNode, simplePod, startLab, type Lab } from './helpers.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ nodeMonitorGracePeriodMs: 1500 });
});
afterAll(async () => lab?.stop());

const podsOf = async (ns: string, labelSelector: string) => (await lab.core.listNamespacedPod({ namespace: ns, labelSelector })).items;
const wait = <T>(what: string, ms: number, probe: () => Promise<{ done: boolean; state: T }>) => waitFor(what, ms, probe, { intervalMs: 25 });

describe('deployment controller', () => {
  it('creates 3 owned pods named <deploy>-<hash>-<rand5>, recreates a deleted one, and reports status', async () => {
    await lab.core.createNamespace({ body: { metadata: { name: 'apps-test' } } });
    const d = await lab.apps.createNamespacedDeployment({
      namespace: 'apps-test',
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox:1.36' }] } } },
      },
    });
    const { state: pods } = await wait('3 pods', 3000, async () => {
      const p = await podsOf('apps-test', 'app=web');
      return { done: p.length === 3, state: p };
    });
    for (const p of pods) {
      expect(p.metadata?.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: d.metadata!.uid, controller: true });
      expect(p.metadata?.labels?.['pod-template-hash']).toBe(p.metadata?.name?.split('-')[1]);
    }

    // No node is Ready, so deletion is immediate and the controller must replace the pod.
    const victim = pods[0]!.metadata!.name!;
    await lab.core.deleteNamespacedPod({ name: victim, namespace: 'apps-test' });
    const { state: after } = await wait('a replacement pod', 3000, async () => {
      const p = await podsOf('apps-test', 'app=web');
      return { done: p.length === 3 && !p.some((x) => x.metadata?.name === victim), state: p.map((x) => x.metadata?.name) };
    });
    expect(after).not.toContain(victim);

    // Pods reported Running + Ready make the deployment available.
    for (const p of await podsOf('apps-test', 'app=web')) {
      await lab.core.patchNamespacedPodStatus(
        { name: p.metadata!.name!, namespace: 'apps-test', body: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
    }
    const { state: status } = await wait('readyReplicas 3', 3000, async () => {
      const s = (await lab.apps.readNamespacedDeploymentStatus({ name: 'web', namespace: 'apps-test' })).status;
      return { done: s?.readyReplicas === 3, state: s };
    });
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3, observedGeneration: 1 });
    expect(status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  });

  it('scales down through the scale subresource and deletes its pods with the deployment', async () => {
    await lab.apps.patchNamespacedDeploymentScale(
      { name: 'web', namespace: 'apps-test', body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await wait('1 pod', 3000, async () => {
      const p = await podsOf('apps-test', 'app=web');
      return { done: p.length === 1, state: p.length };
    });
    await lab.apps.deleteNamespacedDeployment({ name: 'web', namespace: 'apps-test' });
    await wait('no pods', 3000, async () => {
      const p = await podsOf('apps-test', 'app=web');
      return { done: p.length === 0, state: p.length };
    });
  });
});

describe('scheduler', () => {
  it('binds a pending pod to the node matching its nodeSelector whose Ready condition is True', async () => {
    await lab.core.createNode({ body: readyNode('edge-a', { 'node-role.kubernetes.io/edge': '', site: 'one' }) });
    await lab.core.createNode({ body: readyNode('edge-b', { 'node-role.kubernetes.io/edge': '', site: 'two' }, 'False') });
    await lab.core.createNode({ body: readyNode('cloud-1', { site: 'two' }) });
    await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('to-edge', { nodeSelector: { 'node-role.kubernetes.io/edge': '' } }) });
    const { state: pod } = await wait('to-edge bound', 3000, async () => {
      const p = await lab.core.readNamespacedPod({ name: 'to-edge', namespace: 'default' });
      return { done: !!p.spec?.nodeName, state: p };
    });
    expect(pod.spec?.nodeName).toBe('edge-a');
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const events = await lab.core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=to-edge,reason=Scheduled' });
    expect(events.items[0]?.message).toContain('to edge-a');
  });

  it('leaves a pod Pending with PodScheduled=False while only NotReady nodes match, then binds it when one turns Ready', async () => {
    // Registered but never reported: no Ready condition (and, for now, no taint either), so only the Ready rule keeps pods off it.
    await lab.core.createNode({ body: { metadata: { name: 'edge-c', labels: { 'node-role.kubernetes.io/edge': '', site: 'two' } } } });
    await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('to-site-two-edge', { nodeSelector: { site: 'two', 'node-role.kubernetes.io/edge': '' } }) });
    const { state: pending } = await wait('PodScheduled=False', 3000, async () => {
      const p = await lab.core.readNamespacedPod({ name: 'to-site-two-edge', namespace: 'default' });
      return { done: p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False') ?? false, state: p };
    });
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(/^0\/4 nodes are available/);

    await lab.core.patchNodeStatus(
      { name: 'edge-b', body: { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const { state: bound } = await wait('bound to edge-b', 3000, async () => {
      const p = await lab.core.readNamespacedPod({ name: 'to-site-two-edge', namespace: 'default' });
      return { done: !!p.spec?.nodeName, state: p };
    });
    expect(bound.spec?.nodeName).toBe('edge-b');
  });

  it('rejects a spec.nodeName change on update (binding is one-way), 422', async () => {
    const p = await lab.core.readNamespacedPod({ name: 'to-edge', namespace: 'default' });
    const r = await expectApiError(lab.core.replaceNamespacedPod({ name: 'to-edge', namespace: 'default', body: { ...p, spec: { ...p.spec!, nodeName: 'cloud-1' } } as V1Pod }));
    expect(r.code).toBe(422);
  });
});

describe('graceful pod deletion on a Ready node', () => {
  it('marks the pod Terminating until its node agent deletes it with gracePeriodSeconds=0', async () => {
    await lab.core.patchNodeStatus(
      { name: 'edge-a', body: { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date() }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const first = await lab.core.deleteNamespacedPod({ name: 'to-edge', namespace: 'default' });
    expect(first.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(first.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect((await lab.core.readNamespacedPod({ name: 'to-edge', namespace: 'default' })).metadata?.deletionTimestamp).toBeDefined();
    await lab.core.deleteNamespacedPod({ name: 'to-edge', namespace: 'default', gracePeriodSeconds: 0 });
    expect((await expectApiError(lab.core.readNamespacedPod({ name: 'to-edge', namespace: 'default' }))).code).toBe(404);
  });
});

describe('node lifecycle', () => {
  it('marks a node whose heartbeats stop Ready=Unknown and taints it unreachable; a fresh Ready status clears the taint', async () => {
    await lab.core.createNode({ body: readyNode('silent') });
    const { state: node } = await wait('Ready=Unknown', 5000, async () => {
      const n = await lab.core.readNode({ name: 'silent' });
      return { done: n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown' && (n.spec?.taints?.length ?? 0) > 0, state: n };
    });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('NodeStatusUnknown');
    expect(node.spec?.taints?.map((t) => `${t.key}:${t.effect}`).sort()).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);

    await lab.core.patchNodeStatus(
      { name: 'silent', body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'EdgeReady', lastHeartbeatTime: new Date() }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await wait('taints gone', 3000, async () => {
      const n = await lab.core.readNode({ name: 'silent' });
      return { done: !n.spec?.taints?.length, state: n.spec };
    });
  });
});

describe('pod logs', () => {
  it('serves pods/log from the registered provider, applying tailLines; 400 for a pod without a node', async () => {
    await lab.core.createNode({ body: readyNode('logs-node', { logs: 'yes' }) });
    await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('chatty', { nodeName: 'logs-node' }) });
    lab.cp.setPodLogProvider((req) => `pod ${req.pod} on ${req.nodeName}\nline 2\nline 3\n`);
    const all = await lab.core.readNamespacedPodLog({ name: 'chatty', namespace: 'default' });
    expect(all).toBe('pod chatty on logs-node\nline 2\nline 3\n');
    expect(await lab.core.readNamespacedPodLog({ name: 'chatty', namespace: 'default', tailLines: 1 })).toBe('line 3\n');

    await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('homeless', { schedulerName: 'nobody' }) });
    const r = await lab.raw('GET', '/api/v1/namespaces/default/pods/homeless/log');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('does not have a host assigned');
    lab.cp.setPodLogProvider(undefined);
  });
});
