// The EdgeMesh STAND-IN (not KubeEdge EdgeMesh): DNS on 169.254.96.16 (a dummy `edgemesh0` in the board netns), a
// userspace service proxy behind iptables REDIRECT rules, a tunnel peers reach over the lab network, and a gateway
// for cloud -> board requests. Like edgemesh-agent it reads Services/Endpoints/Nodes from edgecore's metaServer.
// Usage: node edgemesh.mjs --node NAME [--metaserver http://127.0.0.1:10550] [--defect NAME[=VALUE] ...]
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import type { Server } from 'node:net';
import { parseFlags, log as makeLog } from './flags.ts';
import { startMeshDns } from './mesh-dns.ts';
import { startGateway, startPortal, startTunnel, type MeshView } from './mesh-proxy.ts';

process.title = 'edgemesh-agent';
const log = makeLog('edgemesh');
const { opts, defects } = parseFlags(process.argv.slice(2));
const me = opts.get('node') ?? '';
const metaServer = opts.get('metaserver') ?? 'http://127.0.0.1:10550';
const dnsIP = opts.get('dns-ip') ?? '169.254.96.16';
const domain = opts.get('cluster-domain') ?? 'cluster.local';
const tunnelPort = Number(opts.get('tunnel-port') ?? 20006);
const gatewayPort = Number(opts.get('gateway-port') ?? 23333);
const portBase = Number(opts.get('portal-base') ?? 40000);
const CHAIN = 'EDGEMESH-PORTALS';
const pd = { dropEvery: Number(defects.get('flaky') || 0), delayMs: Number(defects.get('slow-ms') || 0) };

let view: MeshView = { me, services: [], endpoints: [], nodes: [] };
let records = new Map<string, string>();
const portals = new Map<string, { port: number; server: Server; rule: string }>();
let rulesText = '';

function run(file: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as any).code ?? 1) : 0, out: `${stdout}${stderr}` }));
    if (input !== undefined) child.stdin?.end(input);
  });
}

function getJson(path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request(`${metaServer}${path}`, { timeout: 3_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

let dnsDev = 'edgemesh0';
async function setupInterface(): Promise<void> {
  // a dummy device carries the DNS address, as upstream's edgemesh0 bridge does; lo where the kernel has no dummy
  const added = await run('ip', ['link', 'add', 'edgemesh0', 'type', 'dummy']);
  if (added.code !== 0 && !/exists/i.test(added.out)) dnsDev = 'lo';
  const a = await run('ip', ['addr', 'replace', `${dnsIP}/32`, 'dev', dnsDev]);
  if (a.code !== 0) throw new Error(`cannot put ${dnsIP} on ${dnsDev}: ${a.out.trim()}`);
  await run('ip', ['link', 'set', dnsDev, 'up']);
}

async function setupChain(): Promise<void> {
  await run('iptables', ['-w', '-t', 'nat', '-N', CHAIN]);
  for (const hook of ['PREROUTING', 'OUTPUT']) {
    if ((await run('iptables', ['-w', '-t', 'nat', '-C', hook, '-j', CHAIN])).code !== 0) await run('iptables', ['-w', '-t', 'nat', '-I', hook, '1', '-j', CHAIN]);
  }
}

async function teardown(): Promise<void> {
  for (const hook of ['PREROUTING', 'OUTPUT']) await run('iptables', ['-w', '-t', 'nat', '-D', hook, '-j', CHAIN]);
  await run('iptables', ['-w', '-t', 'nat', '-F', CHAIN]);
  await run('iptables', ['-w', '-t', 'nat', '-X', CHAIN]);
  if (dnsDev === 'lo') await run('ip', ['addr', 'del', `${dnsIP}/32`, 'dev', 'lo']);
  else await run('ip', ['link', 'del', 'edgemesh0']);
}

function freePort(): number {
  const used = new Set([...portals.values()].map((p) => p.port));
  for (let p = portBase; ; p++) if (!used.has(p)) return p;
}

async function refresh(): Promise<void> {
  const [svc, ep, nodes] = await Promise.all([getJson('/api/v1/services'), getJson('/api/v1/endpoints'), getJson('/api/v1/nodes')]);
  view = { me, services: svc.items ?? [], endpoints: ep.items ?? [], nodes: nodes.items ?? [] };
  const next = new Map<string, string>();
  const wanted = new Map<string, { ns: string; name: string; ip: string; sp: any }>();
  for (const s of view.services) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None') continue;
    next.set(`${s.metadata.name}.${s.metadata.namespace}.svc.${domain}`, ip);
    for (const sp of s.spec.ports ?? []) if ((sp.protocol ?? 'TCP') === 'TCP') wanted.set(`${s.metadata.namespace}/${s.metadata.name}:${sp.port}`, { ns: s.metadata.namespace, name: s.metadata.name, ip, sp });
  }
  records = next;
  if (defects.has('no-proxy')) return;
  for (const [k, p] of portals) {
    if (wanted.has(k)) continue;
    p.server.close();
    portals.delete(k);
  }
  for (const [k, w] of wanted) {
    const cur = portals.get(k);
    const rule = `-A ${CHAIN} -d ${w.ip}/32 -p tcp -m tcp --dport ${w.sp.port} -m comment --comment "${k}" -j REDIRECT --to-ports`;
    if (cur && cur.rule === rule) continue;
    if (cur) cur.server.close();
    const port = freePort();
    const server = await startPortal(port, () => view, w.ns, w.name, w.sp, tunnelPort, pd, log);
    portals.set(k, { port, server, rule });
  }
  const text = [...portals.values()].map((p) => `${p.rule} ${p.port}`).sort().join('\n');
  if (text !== rulesText) {
    // declaring the chain in a --noflush restore flushes it: the whole chain is replaced in one step
    const r = await run('iptables-restore', ['-w', '--noflush'], `*nat\n:${CHAIN} - [0:0]\n${text ? `${text}\n` : ''}COMMIT\n`);
    if (r.code !== 0) log(`iptables-restore failed: ${r.out.trim()}`);
    else rulesText = text;
  }
}

async function main(): Promise<void> {
  log(`stand-in starting: node ${me}, metaServer ${metaServer}${defects.size ? `, defects ${[...defects.keys()].join(',')}` : ''}`);
  if (!defects.has('no-dns')) {
    await setupInterface();
    await startMeshDns(dnsIP, domain, () => records, log);
    log(`DNS on ${dnsIP}:53 (${dnsDev})`);
  }
  if (!defects.has('no-proxy')) {
    await setupChain();
    await startTunnel(tunnelPort, () => view, tunnelPort, log);
    await startGateway(gatewayPort, domain, () => view, tunnelPort, pd, log);
    log(`tunnel on :${tunnelPort}, gateway on :${gatewayPort}`);
  }
  let failing = false;
  const tick = async () => {
    try {
      await refresh();
      if (failing) log('metaServer answers again');
      failing = false;
    } catch (e) {
      if (!failing) log(`metaServer: ${(e as Error).message} (keeping the last view)`);
      failing = true;
    }
    setTimeout(tick, 1_000);
  };
  void tick();
}

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    void teardown().finally(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  log(`fatal: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
