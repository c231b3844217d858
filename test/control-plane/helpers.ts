// Starts a fresh stand-in control plane per test file and hands out client-node APIs wired to its kubeconfig.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../lab/control-plane/start.ts';

export interface Lab {
  cp: ControlPlane;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  coordination: CoordinationV1Api;
  stateDir: string;
  /** A raw HTTPS call, for asserting exact status codes and bodies. */
  raw(method: string, path: string, opts?: { token?: string | null; body?: unknown; contentType?: string; accept?: string }): Promise<{ status: number; body: any; text: string; headers: Record<string, string | string[] | undefined> }>;
  stop(): Promise<void>;
}

export async function startLab(opts: Partial<ControlPlaneOptions> = {}): Promise<Lab> {
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'edgecert-cp-')));
  const cp = await startControlPlane({ ...opts, stateDir });
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const dispatcher = new Agent({ connect: { ca: await readFile(cp.caFile) } });
  return {
    cp,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    stateDir,
    async raw(method, path, o = {}) {
      const headers: Record<string, string> = { accept: o.accept ?? 'application/json' };
      const token = o.token === undefined ? cp.token : o.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const res = await request(`${cp.url}${path}`, {
        method: method as 'GET',
        headers,
        dispatcher,
        ...(o.body !== undefined ? { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) } : {}),
      });
      const text = await res.body.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, body, text, headers: res.headers };
    },
    async stop() {
      await cp.close();
      await dispatcher.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** The Status body of a failed client-node call (ApiException carries it as text). */
export function statusOf(err: unknown): { code: number; body: any } {
  if (!(err instanceof ApiException)) throw err;
  const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
  return { code: err.code, body };
}

export async function expectApiError(p: Promise<unknown>): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (err) {
    return statusOf(err);
  }
  throw new Error('expected the call to fail');
}

export const readyNode = (name: string, labels: Record<string, string> = {}, ready: 'True' | 'False' = 'True') => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  status: { conditions: [{ type: 'Ready', status: ready, reason: 'EdgeReady', lastHeartbeatTime: new Date() }] },
});

export const simplePod = (name: string, extra: Record<string, any> = {}) => ({
  metadata: { name, labels: { app: 'demo' } },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36' }], ...extra },
});
