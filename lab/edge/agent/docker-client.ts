// The board's dockerd over its unix socket, raw: dockerode would pull in ssh2 and friends for nothing.
import { request } from 'node:http';
import { readAnswer } from './http-body.ts';

export interface DockerResponse {
  status: number;
  body: any;
}

export interface DockerClient {
  call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<DockerResponse>;
  must(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<any>;
}

export class DockerError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function dockerClient(socketPath: string): DockerClient {
  const call = (method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<DockerResponse> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request(
        { socketPath, path, method, headers: { host: 'docker', ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}) }, timeout: timeoutMs },
        (res) => {
          readAnswer(res).then(resolve, reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(data);
    });
  return {
    call,
    async must(method, path, body, timeoutMs) {
      const r = await call(method, path, body, timeoutMs);
      if (r.status >= 400) throw new DockerError(r.status, `docker ${method} ${path}: HTTP ${r.status}: ${r.body?.message ?? String(r.body).slice(0, 200)}`);
      return r.body;
    },
  };
}
