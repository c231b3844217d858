// /proc/net/route: the kernel's main routing table, readable with `cat` on every board (no `ip` needed).
import { formatIpv4 } from './network-ipv4.ts';

export interface ProcRoute {
  iface: string;
  destination: string;
  gateway: string;
  mask: string;
  flags: number;
  metric: number;
}

export interface ParsedRoutes {
  routes: ProcRoute[];
  unparsed: string[];
  headerSeen: boolean;
}

const RTF_UP = 0x1;

// the kernel prints each address as the hex of its in-memory u32; boards here are little-endian (arm64, x86)
function hexLeIpv4(h: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(h)) return undefined;
  const n = parseInt(h, 16);
  return formatIpv4((((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0);
}

export function parseProcNetRoute(text: string): ParsedRoutes {
  const routes: ProcRoute[] = [];
  const unparsed: string[] = [];
  let headerSeen = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!line.trim()) continue;
    if (f[0] === 'Iface') {
      headerSeen = true;
      continue;
    }
    const destination = hexLeIpv4(f[1] ?? '');
    const gateway = hexLeIpv4(f[2] ?? '');
    const mask = hexLeIpv4(f[7] ?? '');
    const flags = /^[0-9A-Fa-f]{1,4}$/.test(f[3] ?? '') ? parseInt(f[3]!, 16) : NaN;
    if (f.length < 8 || !destination || !gateway || !mask || Number.isNaN(flags) || !/^\d+$/.test(f[6] ?? '')) {
      unparsed.push(line);
      continue;
    }
    routes.push({ iface: f[0]!, destination, gateway, mask, flags, metric: Number(f[6]) });
  }
  return { routes, unparsed, headerSeen };
}

/** Usable default routes (0.0.0.0/0, up), best metric first. */
export function defaultRoutes(routes: readonly ProcRoute[]): ProcRoute[] {
  return routes.filter((r) => r.destination === '0.0.0.0' && r.mask === '0.0.0.0' && (r.flags & RTF_UP) !== 0).sort((a, b) => a.metric - b.metric);
}
