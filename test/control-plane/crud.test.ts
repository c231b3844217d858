// CRUD, patches, error Status bodies and selectors, through client-node exactly as suites and edge stand-ins use it.
import { PatchStrategy, setHeaderOptions, V1MicroTime } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectApiError, readyNode, simplePod, startLab, type Lab } from './helpers.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => lab?.stop());

describe('authentication', () => {
  it('answers 401 with a Status body for a wrong or missing token', async () => {
    for (const token of ['wrong-token', null]) {
      const r = await lab.raw('GET', '/api/v1/nodes', { token });
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
    expect((await lab.raw('GET', '/api/v1/nodes')).status).toBe(200);
  });

  it('rejects a wrong token even on the public endpoints, but lets anonymous read /version', async () => {
    expect((await lab.raw('GET', '/version', { token: null })).status).toBe(200);
    expect((await lab.raw('GET', '/version', { token: 'nope' })).status).toBe(401);
  });
});

describe('nodes', () => {
  it('creates, reads, lists, updates and deletes a node', async () => {
    const created = await lab.core.createNode({ body: readyNode('crud-node', { zone: 'a' }) });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.metadata?.generation).toBe(1);

    const read = await lab.core.readNode({ name: 'crud-node' });
    expect(read.metadata?.labels?.zone).toBe('a');

    read.metadata!.labels!.zone = 'b';
    const updated = await lab.core.replaceNode({ name: 'crud-node', body: read });
    expect(updated.metadata?.labels?.zone).toBe('b');
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(created.metadata?.resourceVersion));

    const list = await lab.core.listNode();
    expect(list.kind).toBe('NodeList');
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(list.items.map((n) => n.metadata?.name)).toContain('crud-node');

    await lab.core.deleteNode({ name: 'crud-node' });
    expect((await expectApiError(lab.core.readNode({ name: 'crud-node' }))).code).toBe(404);
  });

  it('patches node status with merge, strategic merge (conditions merged by type) and JSON patch', async () => {
    await lab.core.createNode({ body: readyNode('patch-node') });
    const merge = await lab.core.patchNodeStatus(
      { name: 'patch-node', body: { status: { nodeInfo: { kubeletVersion: 'v1.31.0-kubeedge-v1.20.0' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merge.status?.nodeInfo?.kubeletVersion).toBe('v1.31.0-kubeedge-v1.20.0');
    expect(merge.status?.conditions?.[0]?.type).toBe('Ready');

    const smp = await lab.core.patchNodeStatus(
      { name: 'patch-node', body: { status: { conditions: [{ type: 'MemoryPressure', status: 'False' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.status?.conditions?.map((c) => c.type).sort()).toEqual(['MemoryPressure', 'Ready']);

    const jp = await lab.core.patchNodeStatus({
      name: 'patch-node',
      body: [{ op: 'replace', path: '/status/conditions/0/status', value: 'False' }],
    });
    expect(jp.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    // A status write leaves labels alone; a main-resource write leaves status alone (upstream's split).
    const noLabel = await lab.core.patchNodeStatus(
      { name: 'patch-node', body: { metadata: { labels: { sneaky: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(noLabel.metadata?.labels?.sneaky).toBeUndefined();
    const noStatus = await lab.core.patchNode(
      { name: 'patch-node', body: { status: { conditions: [] }, metadata: { labels: { role: 'edge' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(noStatus.metadata?.labels?.role).toBe('edge');
    expect(noStatus.status?.conditions?.length).toBe(2);
  });
});

describe('pods, services, leases', () => {
  it('pod CRUD with server-side defaults', async () => {
    const pod = await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('crud-pod') });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.restartPolicy).toBe('Always');
    expect(pod.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    // Re-read: the scheduler may already have written a PodScheduled condition (a real race, answered by 409).
    const fresh = await lab.core.readNamespacedPod({ name: 'crud-pod', namespace: 'default' });
    const status = await lab.core.replaceNamespacedPodStatus({
      name: 'crud-pod',
      namespace: 'default',
      body: { ...fresh, status: { ...fresh.status, phase: 'Running', podIP: '10.0.0.5' } },
    });
    expect(status.status?.phase).toBe('Running');
    const list = await lab.core.listNamespacedPod({ namespace: 'default' });
    expect(list.kind).toBe('PodList');
    expect(list.items.find((p) => p.metadata?.name === 'crud-pod')?.status?.podIP).toBe('10.0.0.5');
    const deleted = await lab.core.deleteNamespacedPod({ name: 'crud-pod', namespace: 'default' });
    expect(deleted.metadata?.name).toBe('crud-pod');
    expect((await expectApiError(lab.core.readNamespacedPod({ name: 'crud-pod', namespace: 'default' }))).code).toBe(404);
  });

  it('service CRUD allocates a cluster IP and defaults targetPort', async () => {
    const svc = await lab.core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'crud-svc' }, spec: { selector: { app: 'demo' }, ports: [{ port: 8080 }] } },
    });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc.spec?.ports?.[0]?.targetPort).toBe(8080);
    expect(svc.spec?.type).toBe('ClusterIP');
    const patched = await lab.core.patchNamespacedService(
      { name: 'crud-svc', namespace: 'default', body: { metadata: { labels: { tier: 'web' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.labels?.tier).toBe('web');
    expect(patched.spec?.clusterIP).toBe(svc.spec?.clusterIP);
    await lab.core.deleteNamespacedService({ name: 'crud-svc', namespace: 'default' });
    const left = await lab.core.listNamespacedService({ namespace: 'default' });
    expect(left.items.map((s) => s.metadata?.name)).not.toContain('crud-svc');
  });

  it('lease CRUD in kube-node-lease, renewing with a MicroTime', async () => {
    const renew = new V1MicroTime();
    const lease = await lab.coordination.createNamespacedLease({
      namespace: 'kube-node-lease',
      body: { metadata: { name: 'board-7' }, spec: { holderIdentity: 'board-7', leaseDurationSeconds: 40, renewTime: renew } },
    });
    expect(lease.spec?.holderIdentity).toBe('board-7');
    lease.spec!.renewTime = new V1MicroTime(renew.getTime() + 10_000);
    const renewed = await lab.coordination.replaceNamespacedLease({ name: 'board-7', namespace: 'kube-node-lease', body: lease });
    expect(new Date(renewed.spec!.renewTime!).getTime()).toBe(renew.getTime() + 10_000);
    // A plain Date serialises with three fractional digits, which upstream's MicroTime decoding rejects.
    const plain = await lab.raw('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/board-7', {
      body: { ...renewed, spec: { ...renewed.spec, renewTime: new Date().toISOString() } },
    });
    expect(plain.status).toBe(400);
    expect(plain.body.message).toContain('MicroTime');
    const listed = await lab.coordination.listNamespacedLease({ namespace: 'kube-node-lease' });
    expect(listed.items.map((l) => l.metadata?.name)).toEqual(['board-7']);
    await lab.coordination.deleteNamespacedLease({ name: 'board-7', namespace: 'kube-node-lease' });
    expect((await expectApiError(lab.coordination.readNamespacedLease({ name: 'board-7', namespace: 'kube-node-lease' }))).code).toBe(404);
  });
});

describe('error Status bodies', () => {
  it('404 NotFound names the resource', async () => {
    const { code, body } = await expectApiError(lab.core.readNamespacedPod({ name: 'ghost', namespace: 'default' }));
    expect(code).toBe(404);
    expect(body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "ghost" not found', reason: 'NotFound',
      details: { name: 'ghost', kind: 'pods' }, code: 404,
    });
    const grouped = await expectApiError(lab.apps.readNamespacedDeployment({ name: 'ghost', namespace: 'default' }));
    expect(grouped.body.details).toEqual({ name: 'ghost', group: 'apps', kind: 'deployments' });
  });

  it('404 for a namespaced create in a namespace that does not exist; deleting a namespace deletes its objects', async () => {
    const { code, body } = await expectApiError(lab.core.createNamespacedPod({ namespace: 'nowhere', body: simplePod('p') }));
    expect(code).toBe(404);
    expect(body.details).toEqual({ name: 'nowhere', kind: 'namespaces' });

    await lab.core.createNamespace({ body: { metadata: { name: 'scratch' } } });
    await lab.core.createNamespacedConfigMap({ namespace: 'scratch', body: { metadata: { name: 'cfg' }, data: { a: '1' } } });
    await lab.core.deleteNamespace({ name: 'scratch' });
    expect((await lab.core.listNamespacedConfigMap({ namespace: 'scratch' })).items).toEqual([]);
    expect((await expectApiError(lab.core.createNamespacedConfigMap({ namespace: 'scratch', body: { metadata: { name: 'cfg' } } }))).code).toBe(404);
  });

  it('409 AlreadyExists and 409 Conflict on a stale resourceVersion', async () => {
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' }, data: { v: '1' } } });
    const dup = await expectApiError(lab.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dup' } } }));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, details: { name: 'dup', kind: 'configmaps' } });

    const first = await lab.core.readNamespacedConfigMap({ name: 'dup', namespace: 'default' });
    await lab.core.replaceNamespacedConfigMap({ name: 'dup', namespace: 'default', body: { ...first, data: { v: '2' } } });
    const stale = await expectApiError(lab.core.replaceNamespacedConfigMap({ name: 'dup', namespace: 'default', body: { ...first, data: { v: '3' } } }));
    expect(stale.code).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect(stale.body.message).toContain('the object has been modified');
    expect((await lab.core.readNamespacedConfigMap({ name: 'dup', namespace: 'default' })).data?.v).toBe('2');
  });

  it('422 Invalid for a schema violation and for a bad name', async () => {
    const missing = await lab.raw('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: {} } });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, details: { name: 'bad', kind: 'Pod' } });
    expect(missing.body.details.causes).toContainEqual({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });

    const wrongType = await lab.raw('POST', '/api/v1/namespaces/default/pods', {
      body: { metadata: { name: 'bad2' }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 'eighty' }] }] } },
    });
    // A wrong JSON type fails decoding upstream: 400, not 422.
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toMatch(/^Pod in version "v1" cannot be handled as a Pod: spec\.containers\[0\]\.ports\[0\]\.containerPort/);

    const selector = await expectApiError(
      lab.apps.createNamespacedDeployment({
        namespace: 'default',
        body: { metadata: { name: 'mismatch' }, spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } },
      }),
    );
    expect(selector.code).toBe(422);
    expect(selector.body.details).toMatchObject({ name: 'mismatch', group: 'apps', kind: 'Deployment' });
    expect(selector.body.details.causes[0].field).toBe('spec.template.metadata.labels');

    const badName = await expectApiError(lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('Bad_Name') }));
    expect(badName.code).toBe(422);
    expect(badName.body.details.causes[0].field).toBe('metadata.name');
  });

  it('unknown fields: 400 under fieldValidation=Strict, a 299 Warning header by default', async () => {
    const body = { metadata: { name: 'typo' }, spec: { contianers: [], containers: [{ name: 'c', image: 'x' }] } };
    const strict = await lab.raw('POST', '/api/v1/namespaces/default/pods?fieldValidation=Strict', { body });
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('strict decoding error: unknown field "spec.contianers"');
    const warned = await lab.raw('POST', '/api/v1/namespaces/default/pods?dryRun=All', { body });
    expect(warned.status).toBe(201);
    expect(warned.headers.warning).toBe('299 - "unknown field \\"spec.contianers\\""');
    // dryRun stored nothing.
    expect((await lab.raw('GET', '/api/v1/namespaces/default/pods/typo')).status).toBe(404);
  });

  it('400 for a name in the body that differs from the URL', async () => {
    const r = await lab.raw('PUT', '/api/v1/namespaces/default/configmaps/dup', { body: { metadata: { name: 'other' } } });
    expect(r.status).toBe(400);
    expect(r.body.reason).toBe('BadRequest');
  });
});

describe('selectors', () => {
  beforeAll(async () => {
    const mk = (name: string, labels: Record<string, string>) =>
      lab.core.createNamespacedPod({ namespace: 'default', body: { metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    await mk('sel-a', { app: 'web', tier: 'front' });
    await mk('sel-b', { app: 'web', tier: 'back' });
    await mk('sel-c', { app: 'db' });
  });

  const names = async (labelSelector?: string, fieldSelector?: string) =>
    (await lab.core.listNamespacedPod({ namespace: 'default', ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items
      .map((p) => p.metadata!.name!)
      .filter((n) => n.startsWith('sel-'))
      .sort();

  it('label selectors: =, ==, !=, in, notin, exists, !key', async () => {
    expect(await names('app=web')).toEqual(['sel-a', 'sel-b']);
    expect(await names('app==db')).toEqual(['sel-c']);
    expect(await names('app!=web')).toEqual(['sel-c']);
    expect(await names('tier in (front,side)')).toEqual(['sel-a']);
    expect(await names('tier notin (front)')).toEqual(['sel-b', 'sel-c']);
    expect(await names('tier')).toEqual(['sel-a', 'sel-b']);
    expect(await names('!tier')).toEqual(['sel-c']);
    expect(await names('app=web,tier!=front')).toEqual(['sel-b']);
  });

  it('field selectors: metadata.name, metadata.namespace, spec.nodeName, status.phase; unknown fields are 400', async () => {
    expect(await names(undefined, 'metadata.name=sel-b')).toEqual(['sel-b']);
    expect(await names(undefined, 'metadata.namespace=default,metadata.name!=sel-b')).toEqual(['sel-a', 'sel-c']);
    expect(await names(undefined, 'spec.nodeName=')).toEqual(['sel-a', 'sel-b', 'sel-c']);
    expect(await names(undefined, 'status.phase=Running')).toEqual([]);
    expect(await names(undefined, 'status.phase=Pending')).toEqual(['sel-a', 'sel-b', 'sel-c']);
    const all = await lab.core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=sel-c' });
    expect(all.items.map((p) => p.metadata?.name)).toEqual(['sel-c']);
    const bad = await expectApiError(lab.core.listNamespacedPod({ namespace: 'default', fieldSelector: 'spec.image=x' }));
    expect(bad.code).toBe(400);
    expect(bad.body.message).toContain('field label not supported');
  });
});
