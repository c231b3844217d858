// EdgeMesh's proxy, the way kube-proxy's userspace mode did it: iptables REDIRECTs a Service's ClusterIP:port (from
// pods via PREROUTING, from the board via OUTPUT) to a local listener; the listener picks an endpoint and connects to
// it directly when the pod is on this board, else through the peer board's mesh tunnel over the lab network.
import { Socket, connect, createServer, type Server } from 'node:net';

export interface MeshView {
  me: string;
  services: any[];
  endpoints: any[];
  nodes: any[];
}

export interface ProxyDefects {
  /** drop every Nth connection (defect edgemesh_flaky) */
  dropEvery: number;
  /** added before each upstream connect (defect edgemesh_slow) */
  delayMs: number;
}

export interface Target {
  ip: string;
  port: number;
  nodeName?: string;
}

const rr = new Map<string, number>();

/** Ready endpoints of a service port, round-robin. */
export function pickEndpoint(view: MeshView, ns: string, name: string, svcPort: any): Target | undefined {
  const ep = view.endpoints.find((e) => e.metadata.namespace === ns && e.metadata.name === name);
  const cands: Target[] = [];
  for (const s of ep?.subsets ?? []) {
    const port = (s.ports ?? []).find((p: any) => (svcPort.name ? p.name === svcPort.name : true));
    if (!port) continue;
    for (const a of s.addresses ?? []) cands.push({ ip: a.ip, port: port.port, nodeName: a.nodeName });
  }
  if (!cands.length) return undefined;
  const k = `${ns}/${name}:${svcPort.port}`;
  const i = (rr.get(k) ?? 0) % cands.length;
  rr.set(k, i + 1);
  return cands[i];
}

export function nodeAddress(view: MeshView, node: string): string | undefined {
  const n = view.nodes.find((x) => x.metadata.name === node);
  return (n?.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address;
}

/** A connection to the endpoint: direct for a local pod, else through the peer's tunnel (`POD ip port\n`). */
export function dialEndpoint(view: MeshView, t: Target, tunnelPort: number): Socket {
  if (!t.nodeName || t.nodeName === view.me) return connect({ host: t.ip, port: t.port, allowHalfOpen: true });
  const peer = nodeAddress(view, t.nodeName);
  if (!peer) {
    const s = new Socket();
    queueMicrotask(() => s.destroy(new Error(`no InternalIP known for node ${t.nodeName}`)));
    return s;
  }
  const s = connect({ host: peer, port: tunnelPort, allowHalfOpen: true });
  s.write(`POD ${t.ip} ${t.port}\n`);
  return s;
}

/** Both directions, half-closes passed on (a client may shut its side down after the request, as nc does). */
export function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
}

let accepted = 0;
/** Whether this accepted connection is one the flaky defect drops. */
export function dropThis(d: ProxyDefects): boolean {
  accepted++;
  return d.dropEvery > 0 && accepted % d.dropEvery === 0;
}

/** One portal listener: every connection goes to an endpoint of ns/name:svcPort. */
export function startPortal(port: number, view: () => MeshView, ns: string, name: string, svcPort: any, tunnelPort: number, d: ProxyDefects, log: (m: string) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    if (dropThis(d)) return void client.destroy();
    client.pause();
    const go = () => {
      const t = pickEndpoint(view(), ns, name, svcPort);
      if (!t) {
        log(`portal ${ns}/${name}:${svcPort.port}: no ready endpoint`);
        return void client.destroy();
      }
      const up = dialEndpoint(view(), t, tunnelPort);
      pipeBoth(client, up);
      client.resume();
    };
    if (d.delayMs) setTimeout(go, d.delayMs);
    else go();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

/** Read one `\n`-terminated header line, then hand over the socket (with whatever followed the line). */
export function readLine(s: Socket, max = 512): Promise<{ line: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      const i = buf.indexOf(10);
      if (i >= 0) {
        s.off('data', onData);
        s.pause();
        resolve({ line: buf.subarray(0, i).toString('utf8').trim(), rest: buf.subarray(i + 1) });
      } else if (buf.length > max) {
        s.off('data', onData);
        reject(new Error('header line too long'));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** The tunnel: a peer asks for `POD ip port` (a pod on this board) or `SVC ns name port` (any endpoint). */
export function startTunnel(port: number, view: () => MeshView, tunnelPort: number, log: (m: string) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, async (peer) => {
    try {
      const { line, rest } = await readLine(peer);
      const [verb, a, b, c] = line.split(' ');
      let up: Socket | undefined;
      if (verb === 'POD') up = connect({ host: a!, port: Number(b), allowHalfOpen: true });
      else if (verb === 'SVC') {
        const v = view();
        const svc = v.services.find((s) => s.metadata.namespace === a && s.metadata.name === b);
        const sp = (svc?.spec?.ports ?? []).find((p: any) => String(p.port) === c) ?? svc?.spec?.ports?.[0];
        const t = svc && sp ? pickEndpoint(v, a!, b!, sp) : undefined;
        if (t) up = dialEndpoint(v, t, tunnelPort);
      }
      if (!up) return void peer.destroy();
      if (rest.length) up.write(rest);
      pipeBoth(peer, up);
      peer.resume();
    } catch (e) {
      log(`tunnel: ${(e as Error).message}`);
      peer.destroy();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

/**
 * The gateway (cloud -> board): plain HTTP whose Host header names `<svc>.<ns>.svc.<domain>[:port]`; the request goes
 * to an endpoint of that service, wherever it runs. Upstream's edgemesh-gateway does this from Istio Gateway objects.
 */
export function startGateway(port: number, domain: string, view: () => MeshView, tunnelPort: number, d: ProxyDefects, log: (m: string) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    if (dropThis(d)) return void client.destroy();
    let head = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16_384) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const host = /\r\nhost:\s*([^\r\n]+)/i.exec(head.subarray(0, end).toString('latin1'))?.[1]?.trim() ?? '';
      const m = new RegExp(`^([a-z0-9-]+)\\.([a-z0-9-]+)\\.svc\\.${domain.replace(/\./g, '\\.')}(?::(\\d+))?$`, 'i').exec(host);
      const v = view();
      const svc = m ? v.services.find((s) => s.metadata.namespace === m[2] && s.metadata.name === m[1]) : undefined;
      const sp = svc ? ((svc.spec.ports ?? []).find((p: any) => String(p.port) === m![3]) ?? svc.spec.ports?.[0]) : undefined;
      const t = svc && sp ? pickEndpoint(v, svc.metadata.namespace, svc.metadata.name, sp) : undefined;
      if (!t) {
        log(`gateway: no endpoint for Host ${JSON.stringify(host)}`);
        client.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      const go = () => {
        const up = dialEndpoint(v, t, tunnelPort);
        up.write(head);
        pipeBoth(client, up);
        client.resume();
      };
      if (d.delayMs) setTimeout(go, d.delayMs);
      else go();
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
