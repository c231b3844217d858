// Starts the virtual lab's stand-in Kubernetes API server and writes a kubeconfig for it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import { join, resolve } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { registerSecret } from '../../harness/core/redact.ts';
import { ClusterApi } from './cluster-api.ts';
import { startDeploymentController } from './deployment-controller.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { startNodeLifecycle } from './node-lifecycle.ts';
import type { PodLogProvider } from './pod-log.ts';
import { NAMESPACE } from './resources.ts';
import { startScheduler } from './scheduler.ts';
import { createApiServer } from './server.ts';
import { Store } from './store.ts';
import { ensureTls } from './tls.ts';

export interface ControlPlaneOptions {
  /** Holds the CA, serving cert, token and kubeconfig; created if missing. Objects are NOT kept here. */
  stateDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** More names or IPs for the serving cert (e.g. the veth address boards in a netns use). */
  extraSans?: string[];
  /** Interval of BOOKMARK events on watches that allow them; upstream sends about one a minute. */
  bookmarkIntervalMs?: number;
  /** How many store events watches can resume from before 410 Gone. */
  historySize?: number;
  /** Node lifecycle grace period (upstream 40 s): no heartbeat for this long -> Ready=Unknown + taints. */
  nodeMonitorGracePeriodMs?: number;
}

export interface ControlPlane {
  url: string;
  caFile: string;
  token: string;
  kubeconfigPath: string;
  /** What `kubectl logs` / readNamespacedPodLog return; undefined removes the provider. */
  setPodLogProvider(fn: PodLogProvider | undefined): void;
  close(): Promise<void>;
}

// Namespaces every kubeadm-made cluster starts with; edge nodes renew their Lease in kube-node-lease.
const BOOT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

async function loadToken(stateDir: string): Promise<string> {
  const file = join(stateDir, 'token');
  if (existsSync(file)) {
    const t = (await readFile(file, 'utf8')).trim();
    if (t) return t;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}

const urlHost = (h: string) => (h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h);

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const stateDir = resolve(opts.stateDir);
  const host = opts.host ?? '127.0.0.1';
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const tls = await ensureTls(stateDir, [host, ...(opts.extraSans ?? [])]);
  const token = await loadToken(stateDir);
  registerSecret(token);

  const store = new Store(opts.historySize ?? 10_000);
  const api = new ClusterApi(store);
  for (const name of BOOT_NAMESPACES) api.create(NAMESPACE, undefined, { metadata: { name } });
  const stops = [startScheduler(api), startDeploymentController(api), startNodeLifecycle(api, { gracePeriodMs: opts.nodeMonitorGracePeriodMs ?? 40_000 })];

  let logProvider: PodLogProvider | undefined;
  const openWatches = new Set<ServerResponse>();
  const server = createApiServer(
    { key: await readFile(tls.keyFile), cert: await readFile(tls.certFile) },
    { api, token, watch: { store, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, open: openWatches }, podLogProvider: () => logProvider },
  );
  await new Promise<void>((ok, fail) => {
    server.once('error', (err) => fail(infra(`control plane cannot listen on ${host}:${opts.port ?? 0}`, { cause: err })));
    server.listen(opts.port ?? 0, host, () => ok());
  }).catch((err) => {
    for (const stop of stops) stop();
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  const h = urlHost(host);
  const url = `https://${isIPv6(h) ? `[${h}]` : h}:${port}`;
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, url, tls.caFile, token);
  log.info(`control plane (virtual-lab stand-in) listening on ${url}; kubeconfig ${kubeconfigPath}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    caFile: tls.caFile,
    token,
    kubeconfigPath,
    setPodLogProvider(fn) {
      logProvider = fn;
    },
    close() {
      closing ??= new Promise<void>((done) => {
        for (const stop of stops) stop();
        for (const res of openWatches) res.end();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
