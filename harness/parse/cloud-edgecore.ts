// What the edgecore and autonomy checks read on the board: edgecore.yaml (v1alpha1 and v1alpha2 layouts) and the
// process list of the board's own network namespace.
import { parseSections, sectionScript } from '../board/sections.ts';
import { parseDocument } from 'yaml';

export interface EdgecoreFacts {
  hostnameOverride?: string;
  cgroupDriver?: string;
  clusterDNS?: string[];
  metaServerEnabled: boolean;
  metaServerAddress: string;
  interfaceName?: string;
  nodeIP?: string;
  /** host:port of the cloud endpoints edgeHub talks to (websocket server, quic server, httpServer) */
  cloudEndpoints: { host: string; port: number; field: string }[];
}

type Any = Record<string, any>;

export function parseEdgecoreConfig(text: string): EdgecoreFacts | { error: string } {
  const doc = parseDocument(text);
  if (doc.errors.length) return { error: `not valid YAML (${doc.errors[0]!.message.split('\n')[0]})` };
  const js = doc.toJS() as Any | null;
  if (!js || typeof js !== 'object') return { error: 'empty or not a mapping' };
  const edged: Any = js.modules?.edged ?? {};
  const kcfg: Any = edged.tailoredKubeletConfig ?? {};
  const kflag: Any = edged.tailoredKubeletFlag ?? {};
  const str = (...vs: unknown[]) => vs.find((v) => typeof v === 'string' && v !== '') as string | undefined;
  const dns = edged.clusterDNS ?? kcfg.clusterDNS;
  const hub: Any = js.modules?.edgeHub ?? {};
  const endpoints: EdgecoreFacts['cloudEndpoints'] = [];
  const add = (field: string, v: unknown) => {
    if (typeof v !== 'string' || !v) return;
    const m = /^(?:[a-z]+:\/\/)?(\[[^\]]+\]|[^:/]+):(\d+)/.exec(v);
    if (m) endpoints.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), field });
  };
  add('modules.edgeHub.websocket.server', hub.websocket?.server);
  add('modules.edgeHub.quic.server', hub.quic?.enable ? hub.quic?.server : undefined);
  add('modules.edgeHub.httpServer', hub.httpServer);
  const ms: Any = js.modules?.metaManager?.metaServer ?? {};
  return {
    hostnameOverride: str(edged.hostnameOverride, kflag.hostnameOverride),
    cgroupDriver: str(edged.cgroupDriver, kcfg.cgroupDriver),
    clusterDNS: Array.isArray(dns) ? dns.map(String) : typeof dns === 'string' && dns ? dns.split(',').map((x) => x.trim()) : undefined,
    metaServerEnabled: ms.enable === true,
    metaServerAddress: str(ms.server) ?? '127.0.0.1:10550',
    interfaceName: str(edged.customInterfaceName, kflag.customInterfaceName, kflag.nodeInterface),
    nodeIP: str(edged.nodeIP, kflag.nodeIP),
    cloudEndpoints: endpoints.filter((e, i, all) => all.findIndex((x) => x.host === e.host && x.port === e.port) === i),
  };
}

/** RFC 1123 DNS subdomain, as a Node name must be. */
export function isDns1123Subdomain(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/**
 * Processes of the board's network namespace, `PID COMM` per line. On a virtual netns board the shell sees the host's
 * processes too; only those sharing the shell's netns belong to the board (on a real board that is all of them).
 */
export const PROCESS_PROBE = sectionScript(
  [`self=$(readlink /proc/self/ns/net 2>/dev/null); for d in /proc/[0-9]*; do n=$(readlink "$d/ns/net" 2>/dev/null); if [ -n "$self" ] && [ "$n" != "$self" ]; then continue; fi; c=$(cat "$d/comm" 2>/dev/null) || continue; echo "\${d#/proc/} $c"; done`],
  '; ',
);

export interface BoardProcess {
  pid: number;
  comm: string;
}

export function parseProcesses(out: string): { procs: BoardProcess[]; complete: boolean } {
  const procs: BoardProcess[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\d+) (.+)$/.exec(line.trim());
    if (m) procs.push({ pid: Number(m[1]), comm: m[2]! });
  }
  return { procs, complete: parseSections(out).complete };
}

export function ipv4Of(ipAddrOutput: string): string | undefined {
  return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(ipAddrOutput)?.[1];
}

export function vmRssKb(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : undefined;
}
