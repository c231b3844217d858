// The real kubectl against the stand-in: discovery, apply (with validation on), get -w, delete.
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/core/wait.ts';
import { readyNode, simplePod, startLab, type Lab } from './helpers.ts';

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not here
    }
  }
  return undefined;
}

const KUBECTL = onPath('kubectl');

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {mode: edge}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 2
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
      - name: hello
        image: busybox:1.36
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  selector: {app: hello}
  ports: [{port: 80, targetPort: 8080}]
`;

// scripts/setup-host.sh installs Debian's kubectl, so a missing one is a broken set-up, not a reason to skip
describe(`kubectl against the stand-in (${KUBECTL ?? 'kubectl not on PATH'})`, () => {
  let lab: Lab;
  let kubectl: (...args: string[]) => ResultPromise<{ reject: false }>;
  beforeAll(async () => {
    if (!KUBECTL) throw new Error('kubectl is not on PATH: scripts/setup-host.sh installs it (Debian package kubectl)');
    lab = await startLab();
    const base = ['--kubeconfig', lab.cp.kubeconfigPath, '--cache-dir', join(lab.stateDir, 'kubectl-cache'), '--request-timeout', '20s'];
    kubectl = (...args) => execa(KUBECTL!, [...base, ...args], { reject: false, timeout: 30_000 });
    await lab.core.createNode({ body: readyNode('kubectl-node', { 'node-role.kubernetes.io/edge': '' }) });
  });
  afterAll(async () => lab?.stop());

  it('get nodes -o json', async () => {
    const r = await kubectl('get', 'nodes', '-o', 'json');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.items.map((n: any) => n.metadata.name)).toEqual(['kubectl-node']);
    expect(list.items[0].status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('apply -f creates, is idempotent, then configures; validation stays on', async () => {
    const file = join(lab.stateDir, 'manifest.yaml');
    await writeFile(file, MANIFEST);
    const first = await kubectl('apply', '-f', file);
    expect(first.stderr).toBe('');
    expect(first.stdout.split('\n').sort()).toEqual(['configmap/app-config created', 'deployment.apps/hello created', 'service/hello created']);
    const again = await kubectl('apply', '-f', file);
    expect(again.stdout.split('\n').sort()).toEqual(['configmap/app-config unchanged', 'deployment.apps/hello unchanged', 'service/hello unchanged']);
    await writeFile(file, MANIFEST.replace('replicas: 2', 'replicas: 3').replace('mode: edge', 'mode: cloud'));
    const changed = await kubectl('apply', '-f', file);
    expect(changed.stderr).toBe('');
    expect(changed.stdout.split('\n').sort()).toEqual(['configmap/app-config configured', 'deployment.apps/hello configured', 'service/hello unchanged']);
    expect((await lab.apps.readNamespacedDeployment({ name: 'hello', namespace: 'default' })).spec?.replicas).toBe(3);
    expect((await lab.core.readNamespacedConfigMap({ name: 'app-config', namespace: 'default' })).data?.mode).toBe('cloud');
    await waitFor('3 hello pods', 5000, async () => {
      const n = (await lab.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=hello' })).items.length;
      return { done: n === 3, state: n };
    });
  });

  it('apply of an invalid manifest fails with the server error', async () => {
    const file = join(lab.stateDir, 'bad.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: {containers: []}\n');
    const r = await kubectl('apply', '-f', file);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('is invalid');
  });

  it('apply rejects a misspelt field, as kubectl asks for strict field validation', async () => {
    const file = join(lab.stateDir, 'typo.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typo}\ndata: {a: b}\ndtaa: {c: d}\n');
    const r = await kubectl('apply', '-f', file);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('unknown field "dtaa"');
  });

  it('get pods -A lists across namespaces', async () => {
    await lab.core.createNamespace({ body: { metadata: { name: 'edge-apps' } } });
    await lab.core.createNamespacedPod({ namespace: 'edge-apps', body: simplePod('far-away') });
    const r = await kubectl('get', 'pods', '-A');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^NAMESPACE\s+NAME\s+/);
    expect(r.stdout).toMatch(/edge-apps\s+far-away/);
    expect(r.stdout).toMatch(/default\s+hello-/);
  });

  it('get pods -w sees a new pod within a few seconds', async () => {
    const watch = execa(KUBECTL!, ['--kubeconfig', lab.cp.kubeconfigPath, '--cache-dir', join(lab.stateDir, 'kubectl-cache'), 'get', 'pods', '-w', '-n', 'edge-apps'], { reject: false, buffer: true });
    let out = '';
    watch.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('kubectl -w to list the existing pod', 10_000, async () => ({ done: out.includes('far-away'), state: out }), { intervalMs: 50 });
      const t0 = performance.now();
      await lab.core.createNamespacedPod({ namespace: 'edge-apps', body: simplePod('newcomer') });
      const { elapsedMs } = await waitFor('kubectl -w to print the new pod', 5000, async () => ({ done: out.includes('newcomer'), state: out }), { intervalMs: 10 });
      console.log(`kubectl get pods -w saw the new pod after ~${Math.round(performance.now() - t0)} ms (poll ${elapsedMs} ms)`);
    } finally {
      watch.kill('SIGTERM');
      await watch;
    }
  });

  it('delete -f removes what apply made', async () => {
    const file = join(lab.stateDir, 'manifest.yaml');
    const r = await kubectl('delete', '-f', file);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').sort()).toEqual(['configmap "app-config" deleted', 'deployment.apps "hello" deleted', 'service "hello" deleted']);
    // kubectl-node is Ready, so garbage-collected pods wait for its agent to finish them, as upstream.
    const { state: terminating } = await waitFor('hello pods terminating', 5000, async () => {
      const pods = (await lab.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=hello' })).items;
      return { done: pods.length === 3 && pods.every((p) => p.metadata?.deletionTimestamp), state: pods };
    });
    for (const p of terminating) await lab.core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: 'default', gracePeriodSeconds: 0 });
    expect((await lab.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=hello' })).items).toEqual([]);
    const missing = await kubectl('get', 'deployment', 'hello');
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toContain('NotFound');
  });

  it('logs, through the pod log provider', async () => {
    await lab.core.createNamespacedPod({ namespace: 'default', body: simplePod('talker', { nodeName: 'kubectl-node' }) });
    lab.cp.setPodLogProvider((req) => `hello from ${req.pod}/${req.container}\n`);
    const r = await kubectl('logs', 'talker');
    expect(r.stdout).toBe('hello from talker/main');
  });
});
