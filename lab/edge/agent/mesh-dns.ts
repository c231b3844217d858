// EdgeMesh's DNS: A records for `<svc>.<ns>.svc.<domain>` (the Service's ClusterIP), NXDOMAIN for other names in the
// cluster domain, anything else forwarded to the board's own resolver. Plain RFC 1035 over UDP.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';

function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = off;
  while (i < buf.length) {
    const len = buf[i]!;
    if (len === 0) return { name: labels.join('.'), end: i + 1 };
    if (len >= 0xc0) throw new Error('compressed names are not expected in a question');
    labels.push(buf.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += 1 + len;
  }
  throw new Error('truncated name');
}

export function answer(query: Buffer, lookup: (name: string) => string | undefined | null): Buffer | undefined {
  if (query.length < 12 || query.readUInt16BE(4) !== 1) return undefined;
  const q = readName(query, 12);
  const qtype = query.readUInt16BE(q.end);
  const question = query.subarray(12, q.end + 4);
  const ip = lookup(q.name.toLowerCase());
  if (ip === undefined) return undefined; // not ours: forward
  const head = Buffer.alloc(12);
  head.writeUInt16BE(query.readUInt16BE(0), 0);
  const rd = query[2]! & 0x01;
  const found = ip !== null;
  const withA = found && qtype === 1;
  head.writeUInt16BE(0x8400 | (rd << 8) | (found ? 0 : 3), 2); // QR, AA, RD copied, NOERROR / NXDOMAIN
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(withA ? 1 : 0, 6);
  if (!withA) return Buffer.concat([head, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(1, 2);
  rr.writeUInt16BE(1, 4);
  rr.writeUInt32BE(5, 6);
  rr.writeUInt16BE(4, 10);
  ip!.split('.').forEach((o, k) => rr.writeUInt8(Number(o), 12 + k));
  return Buffer.concat([head, question, rr]);
}

function upstream(): string | undefined {
  try {
    return /^nameserver\s+(\d+\.\d+\.\d+\.\d+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export function startMeshDns(ip: string, domain: string, records: () => Map<string, string>, log: (m: string) => void): Promise<Socket> {
  const sock = createSocket('udp4');
  const suffix = `.svc.${domain}`;
  const lookup = (name: string): string | undefined | null => {
    const hit = records().get(name);
    if (hit) return hit;
    return name.endsWith(`.${domain}`) || name === domain ? null : undefined;
  };
  sock.on('message', (msg, rinfo) => {
    try {
      const a = answer(msg, lookup);
      if (a) return void sock.send(a, rinfo.port, rinfo.address);
      const up = upstream();
      if (!up || up === ip) return;
      const fwd = createSocket('udp4');
      const t = setTimeout(() => fwd.close(), 2_000);
      fwd.on('message', (r) => {
        clearTimeout(t);
        sock.send(r, rinfo.port, rinfo.address);
        fwd.close();
      });
      fwd.on('error', () => fwd.close());
      fwd.send(msg, 53, up);
    } catch (e) {
      log(`dns: bad query from ${rinfo.address}: ${(e as Error).message}`);
    }
  });
  void suffix;
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, ip, () => resolve(sock));
  });
}
