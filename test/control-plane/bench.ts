// Throughput and watch latency of the stand-in: `npx tsx test/control-plane/bench.ts` (numbers go in the README).
// Client and server share one process and core here, so every figure includes the client's own cost.
import { Watch } from '@kubernetes/client-node';
import { simplePod, startLab } from './helpers.ts';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;

const lab = await startLab();
try {
  await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('bench') });

  const N = 1000;
  for (let i = 0; i < 50; i++) await lab.core.readNamespacedPod({ name: 'bench', namespace: 'default' });
  let t = performance.now();
  for (let i = 0; i < N; i++) await lab.core.readNamespacedPod({ name: 'bench', namespace: 'default' });
  const seq = N / ((performance.now() - t) / 1000);

  t = performance.now();
  const workers = 8;
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let i = 0; i < N / workers; i++) await lab.core.readNamespacedPod({ name: 'bench', namespace: 'default' });
  }));
  const par = N / ((performance.now() - t) / 1000);

  t = performance.now();
  for (let i = 0; i < N; i++) await lab.raw('GET', '/api/v1/namespaces/default/pods/bench');
  const rawSeq = N / ((performance.now() - t) / 1000);

  t = performance.now();
  await Promise.all(Array.from({ length: workers }, async () => {
    for (let i = 0; i < N / workers; i++) await lab.raw('GET', '/api/v1/namespaces/default/pods/bench');
  }));
  const rawPar = N / ((performance.now() - t) / 1000);

  // Watch latency: from just before the create request leaves to the ADDED event arriving.
  const sent = new Map<string, number>();
  const lat: number[] = [];
  const rv = (await lab.core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
  const ctl = await new Watch(lab.kc).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: rv }, (type, obj) => {
    const s = sent.get(obj.metadata.name);
    if (type === 'ADDED' && s !== undefined) lat.push(performance.now() - s);
  }, () => {});
  const M = 300;
  for (let i = 0; i < M; i++) {
    const name = `lat-${i}`;
    sent.set(name, performance.now());
    await lab.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name }, data: { i: String(i) } } });
    while (lat.length <= i) await new Promise((r) => setImmediate(r));
  }
  ctl.abort();

  for (let i = 0; i < 500; i++) await lab.core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `bulk-${i}` } } });
  t = performance.now();
  for (let i = 0; i < 20; i++) await lab.core.listNamespacedConfigMap({ namespace: 'default' });
  const listMs = (performance.now() - t) / 20;

  console.log(JSON.stringify({
    node: process.version,
    getPodClientNodeSequentialPerSec: Math.round(seq),
    getPodClientNode8ConcurrentPerSec: Math.round(par),
    getPodUndiciSequentialPerSec: Math.round(rawSeq),
    getPodUndici8ConcurrentPerSec: Math.round(rawPar),
    watchAddedLatency: { samples: lat.length, p50: ms(pct(lat, 50)), p90: ms(pct(lat, 90)), p99: ms(pct(lat, 99)), max: ms(Math.max(...lat)) },
    list800ConfigMaps: ms(listMs),
  }, null, 2));
} finally {
  await lab.stop();
}
