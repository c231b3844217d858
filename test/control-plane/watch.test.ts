// Watch semantics that informers and edgecore stand-ins depend on: order, resume, bookmarks, 410 Gone.
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/core/wait.ts';
import { startLab, type Lab } from './helpers.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ bookmarkIntervalMs: 100, historySize: 40 });
});
afterAll(async () => lab?.stop());

interface Seen {
  type: string;
  name?: string;
  rv?: string;
  obj: any;
}

/** Opens a client-node watch and collects its events until stop(). */
async function collect(path: string, query: Record<string, string | boolean>) {
  const events: Seen[] = [];
  let ended: unknown = 'open';
  const controller = await new Watch(lab.kc).watch(
    path,
    query,
    (type, obj) => events.push({ type, name: obj?.metadata?.name, rv: obj?.metadata?.resourceVersion, obj }),
    (err) => {
      ended = err ?? null;
    },
  );
  return {
    events,
    ended: () => ended,
    until: (what: string, n: number, pred: (e: Seen) => boolean = () => true) =>
      waitFor(what, 5000, async () => ({ done: events.filter(pred).length >= n, state: events.map((e) => `${e.type} ${e.name}`) }), { intervalMs: 20 }),
    stop: () => controller.abort(),
  };
}

const cm = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels }, data: { v: '1' } });

describe('watch', () => {
  it('delivers ADDED, MODIFIED, DELETED in order with increasing resourceVersions', async () => {
    const startRv = (await lab.core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    const w = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: startRv });
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('w1') });
    await lab.core.patchNamespacedConfigMap({ name: 'w1', namespace: 'default', body: [{ op: 'add', path: '/data/v', value: '2' }] });
    await lab.core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
    await w.until('three events', 3);
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    const rvs = w.events.map((e) => Number(e.rv));
    expect(rvs[0]).toBeGreaterThan(Number(startRv));
    expect(rvs[1]).toBeGreaterThan(rvs[0]!);
    expect(rvs[2]).toBeGreaterThan(rvs[1]!);
    expect(w.events[1]!.obj.data.v).toBe('2');
  });

  it('resumes from a resourceVersion: replays exactly the events after it', async () => {
    const rv0 = (await lab.core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('w2') });
    const mod = await lab.core.replaceNamespacedConfigMap({ name: 'w2', namespace: 'default', body: { ...cm('w2'), data: { v: '9' } } });
    await lab.core.deleteNamespacedConfigMap({ name: 'w2', namespace: 'default' });

    const all = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: rv0 });
    await all.until('replayed events', 3);
    all.stop();
    expect(all.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED w2', 'MODIFIED w2', 'DELETED w2']);

    const tail = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: mod.metadata!.resourceVersion! });
    await tail.until('the DELETED after the MODIFIED', 1);
    await new Promise((r) => setTimeout(r, 100));
    tail.stop();
    expect(tail.events.map((e) => `${e.type} ${e.name}`)).toEqual(['DELETED w2']);
  });

  it('starts with synthetic ADDED events for existing objects when no resourceVersion is given', async () => {
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('w3') });
    const w = await collect('/api/v1/namespaces/default/configmaps', {});
    await w.until('the existing configmap', 1, (e) => e.name === 'w3');
    w.stop();
    expect(w.events.find((e) => e.name === 'w3')?.type).toBe('ADDED');
  });

  it('turns selector transitions into ADDED / DELETED', async () => {
    const rv = (await lab.core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    const w = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: rv, labelSelector: 'watched=yes' });
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('w4') });
    await lab.core.patchNamespacedConfigMap({ name: 'w4', namespace: 'default', body: [{ op: 'add', path: '/metadata/labels/watched', value: 'yes' }] });
    await lab.core.patchNamespacedConfigMap({ name: 'w4', namespace: 'default', body: [{ op: 'replace', path: '/metadata/labels/watched', value: 'no' }] });
    await w.until('enter and leave', 2);
    w.stop();
    expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'DELETED']);
  });

  it('sends BOOKMARK events when allowed, carrying the current resourceVersion', async () => {
    const w = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: (await lab.core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!, allowWatchBookmarks: true });
    await w.until('a bookmark', 1, (e) => e.type === 'BOOKMARK');
    w.stop();
    const bm = w.events.find((e) => e.type === 'BOOKMARK')!;
    expect(bm.obj.kind).toBe('ConfigMap');
    expect(Number(bm.rv)).toBeGreaterThan(0);
    expect(Object.keys(bm.obj.metadata)).toEqual(['resourceVersion']);
  });

  it('answers a resourceVersion older than the kept history with an ERROR event carrying 410 Expired', async () => {
    const first = await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('w5') });
    for (let i = 0; i < 45; i++) await lab.core.patchNamespacedConfigMap({ name: 'w5', namespace: 'default', body: [{ op: 'add', path: '/data/i', value: String(i) }] });
    const w = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: first.metadata!.resourceVersion! });
    await w.until('an ERROR', 1);
    expect(w.events[0]!.type).toBe('ERROR');
    expect(w.events[0]!.obj).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    await waitFor('the stream to end', 2000, async () => ({ done: w.ended() !== 'open', state: w.ended() }), { intervalMs: 20 });
  });

  it('watches a single object by fieldSelector, ignoring others', async () => {
    const rv = (await lab.core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    const w = await collect('/api/v1/namespaces/default/configmaps', { resourceVersion: rv, fieldSelector: 'metadata.name=w6' });
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('other') });
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: cm('w6') });
    await w.until('w6', 1);
    await new Promise((r) => setTimeout(r, 50));
    w.stop();
    expect(w.events.map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED w6']);
  });
});
