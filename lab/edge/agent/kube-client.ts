// A lean Kubernetes REST client for the edge stand-ins: JSON requests and watch streams over one keep-alive HTTPS
// agent. @kubernetes/client-node would triple the stand-in's memory, and its RSS is what the budget suite measures.
import { Agent, request } from 'node:https';
import { readAnswer } from './http-body.ts';

export interface KubeTarget {
  server: string;
  ca: string | Buffer;
  token: string;
}

export interface KubeResponse {
  status: number;
  body: any;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: any;
}

export class KubeError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface KubeClient {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse>;
  /** Like call, but a status >= 400 throws a KubeError (404 too). */
  must(method: string, path: string, body?: unknown, contentType?: string): Promise<any>;
  /** Streams watch events until the server ends the stream (resolve) or it breaks / stays silent for idleMs (reject). */
  watch(path: string, onEvent: (e: WatchEvent) => void, opts: { idleMs: number; signal?: AbortSignal }): Promise<void>;
  close(): void;
}

export function kubeClient(t: KubeTarget, opts: { timeoutMs?: number } = {}): KubeClient {
  const base = new URL(t.server);
  const agent = new Agent({ keepAlive: true, maxSockets: 4, ca: t.ca });
  // watches hold a connection for minutes: never take them from the request pool
  const watchAgent = new Agent({ keepAlive: false, ca: t.ca });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const headers = (contentType?: string, len?: number): Record<string, string> => ({
    authorization: `Bearer ${t.token}`,
    accept: 'application/json',
    ...(contentType ? { 'content-type': contentType } : {}),
    ...(len !== undefined ? { 'content-length': String(len) } : {}),
  });

  const call = (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        { host: base.hostname, port: base.port || 443, path, method, agent, headers: headers(data ? contentType : undefined, data?.length), timeout: timeoutMs },
        (res) => {
          readAnswer(res).then(resolve, reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(data);
    });

  return {
    call,
    async must(method, path, body, contentType) {
      const r = await call(method, path, body, contentType);
      if (r.status >= 400) throw new KubeError(r.status, `${method} ${path}: HTTP ${r.status}: ${r.body?.message ?? JSON.stringify(r.body).slice(0, 200)}`);
      return r.body;
    },
    watch(path, onEvent, wopts) {
      return new Promise<void>((resolve, reject) => {
        const req = request({ host: base.hostname, port: base.port || 443, path, method: 'GET', agent: watchAgent, headers: headers(), signal: wopts.signal }, (res) => {
          if ((res.statusCode ?? 0) >= 400) {
            res.resume();
            return reject(new KubeError(res.statusCode ?? 0, `watch ${path}: HTTP ${res.statusCode}`));
          }
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
              const line = buf.slice(0, i).trim();
              buf = buf.slice(i + 1);
              if (line) onEvent(JSON.parse(line) as WatchEvent);
            }
          });
          res.on('end', () => resolve());
          res.on('error', reject);
          res.on('aborted', () => reject(new Error(`watch ${path}: aborted`)));
        });
        // a cut link never closes the socket: silence longer than the bookmark interval means it is gone
        req.setTimeout(wopts.idleMs, () => req.destroy(new Error(`watch ${path}: silent for ${wopts.idleMs} ms`)));
        req.on('error', reject);
        req.end();
      });
    },
    close() {
      agent.destroy();
      watchAgent.destroy();
    },
  };
}

/** A Lease MicroTime: RFC 3339 with six fractional digits, as the API server requires. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** An RFC 3339 time at second precision, as the API server renders metav1.Time. */
export function apiTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
