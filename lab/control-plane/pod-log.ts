// pods/log: upstream proxies to the kubelet (or cloudcore's stream tunnel); the stand-in asks a registered provider.
import type { ServerResponse } from 'node:http';
import { badRequest, internalError } from './api-error.ts';
import type { ClusterApi } from './cluster-api.ts';
import { sendText } from './http-io.ts';
import { POD } from './resources.ts';

export interface PodLogRequest {
  namespace: string;
  pod: string;
  container: string;
  nodeName: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  limitBytes?: number;
}

/**
 * Returns the whole log as text (tailLines and limitBytes are then applied here), or a stream of chunks
 * for follow; `signal` aborts when the client goes away.
 */
export type PodLogProvider = (req: PodLogRequest, signal: AbortSignal) => string | Promise<string> | AsyncIterable<string | Uint8Array>;

const intParam = (q: URLSearchParams, key: string): number | undefined => {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`${key}: Invalid value: "${v}": must be a non-negative integer`);
  return Number(v);
};

function tail(text: string, lines: number | undefined): string {
  if (lines === undefined) return text;
  if (lines === 0) return '';
  const parts = text.split('\n');
  const trailing = parts[parts.length - 1] === '' ? parts.pop() : undefined;
  return parts.slice(-lines).join('\n') + (trailing === '' ? '\n' : '');
}

export async function servePodLog(res: ServerResponse, api: ClusterApi, namespace: string, name: string, q: URLSearchParams, provider: PodLogProvider | undefined): Promise<void> {
  const pod = api.get(POD, namespace, name);
  const names: string[] = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const initNames: string[] = (pod.spec?.initContainers ?? []).map((c: { name: string }) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if (names.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    container = names[0]!;
  } else if (!names.includes(container) && !initNames.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  if (!provider) throw internalError(`no pod log provider is registered with the virtual control plane (node "${pod.spec.nodeName}")`);
  const tailLines = intParam(q, 'tailLines');
  const limitBytes = intParam(q, 'limitBytes');
  const sinceSeconds = intParam(q, 'sinceSeconds');
  const request: PodLogRequest = {
    namespace,
    pod: name,
    container,
    nodeName: pod.spec.nodeName,
    follow: q.get('follow') === 'true',
    previous: q.get('previous') === 'true',
    timestamps: q.get('timestamps') === 'true',
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const out = await provider(request, abort.signal);
  if (typeof out === 'string') {
    const text = tail(out, tailLines);
    sendText(res, 200, limitBytes !== undefined ? Buffer.from(text).subarray(0, limitBytes).toString('utf8') : text);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  for await (const chunk of out) {
    if (abort.signal.aborted) break;
    res.write(chunk);
  }
  res.end();
}
