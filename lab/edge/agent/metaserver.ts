// edgecore's metaServer: a read-only Kubernetes-style list/get on 127.0.0.1:10550, answered from the local copy,
// so edge clients (EdgeMesh, pods using in-cluster config) keep working while the cloud is away.
import { createServer, type Server } from 'node:http';
import type { Kind, LocalStore } from './local-store.ts';

const KIND_NAMES: Record<Kind, string> = { pods: 'Pod', nodes: 'Node', services: 'Service', endpoints: 'Endpoints' };

export interface MetaServerOptions {
  store: LocalStore;
  host: string;
  port: number;
  /** defect edgecore_metaserver_no_cache: answer only through the cloud (fails offline) */
  proxyOnly?: { online(): boolean };
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export function startMetaServer(o: MetaServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      const data = JSON.stringify(body);
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    };
    const url = new URL(req.url ?? '/', 'http://metaserver');
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'the metaServer stand-in is read-only'));
    if (url.pathname === '/healthz' || url.pathname === '/readyz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('ok');
    }
    if (o.proxyOnly && !o.proxyOnly.online()) return send(503, status(503, 'ServiceUnavailable', 'cloud unreachable and no local cache'));
    // /api/v1/<kind>, /api/v1/<kind>/<name> (cluster scope), /api/v1/namespaces/<ns>/<kind>[/<name>]
    const m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?(pods|nodes|services|endpoints)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!m) return send(404, status(404, 'NotFound', `the metaServer stand-in does not serve ${url.pathname}`));
    const [, ns, kind, name] = m as unknown as [string, string | undefined, Kind, string | undefined];
    let items = o.store.list(kind);
    if (ns) items = items.filter((x) => x.metadata.namespace === ns);
    const fieldSel = url.searchParams.get('fieldSelector');
    const nodeName = /^spec\.nodeName=(.+)$/.exec(fieldSel ?? '')?.[1];
    if (nodeName) items = items.filter((x) => x.spec?.nodeName === nodeName);
    const labelSel = url.searchParams.get('labelSelector');
    if (labelSel) {
      const reqs = labelSel.split(',').map((s) => s.split('='));
      items = items.filter((x) => reqs.every(([k, v]) => (x.metadata.labels ?? {})[k!] === v));
    }
    if (name) {
      const one = items.find((x) => x.metadata.name === name);
      return one ? send(200, { kind: KIND_NAMES[kind], apiVersion: 'v1', ...one }) : send(404, status(404, 'NotFound', `${kind} "${name}" not found`));
    }
    send(200, { kind: `${KIND_NAMES[kind]}List`, apiVersion: 'v1', metadata: { resourceVersion: '' }, items });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve(server));
  });
}
