// /etc/resolv.conf and /etc/hosts: what containers inherit for DNS, and what `localhost` means on the board.
import { isLoopbackIpv4, parseIpv4 } from './network-ipv4.ts';

export interface Nameserver {
  address: string;
  loopback: boolean;
}

export interface ParsedResolvConf {
  nameservers: Nameserver[];
  /** `nameserver` lines whose value is not an IP address */
  invalid: string[];
}

export function parseResolvConf(text: string): ParsedResolvConf {
  const nameservers: Nameserver[] = [];
  const invalid: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)\s*$/.exec(t);
    if (!m) {
      if (/^nameserver\b/.test(t)) invalid.push(line);
      continue;
    }
    const addr = m[1]!;
    const v4 = parseIpv4(addr);
    // IPv6 resolvers (possibly with a %zone) count; loopback ones (::1) do not reach containers
    const v6 = v4 === undefined && /^[0-9A-Fa-f:]+(%\S+)?$/.test(addr) && addr.includes(':');
    if (v4 === undefined && !v6) {
      invalid.push(line);
      continue;
    }
    nameservers.push({ address: addr, loopback: v4 !== undefined ? isLoopbackIpv4(v4) : addr === '::1' });
  }
  return { nameservers, invalid };
}

export interface HostsEntry {
  address: string;
  names: string[];
}

export function parseHosts(text: string): HostsEntry[] {
  const out: HostsEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.replace(/#.*$/, '').trim().split(/\s+/).filter(Boolean);
    if (fields.length < 2) continue;
    out.push({ address: fields[0]!, names: fields.slice(1) });
  }
  return out;
}

/** The IPv4 loopback addresses `name` maps to (edgecore's metaServer and local clients use 127.0.0.1). */
export function loopbackAddressesOf(entries: readonly HostsEntry[], name: string): string[] {
  const isLoopback = (a: string) => {
    const ip = parseIpv4(a);
    return ip !== undefined && isLoopbackIpv4(ip);
  };
  return entries.filter((e) => e.names.includes(name) && isLoopback(e.address)).map((e) => e.address);
}
