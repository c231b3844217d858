// IPv4 arithmetic for the network checks (subnets of docker0, MASQUERADE sources, iptables -s/-d matches).

export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Cidr {
  network: number;
  prefix: number;
}

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `10.0.0.0/8`, `172.17.0.1/16` (host bits are cleared) or a bare address (= /32). */
export function parseCidr(s: string): Cidr | undefined {
  const [addr, len] = s.trim().split('/');
  const ip = parseIpv4(addr ?? '');
  const prefix = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) return undefined;
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

export function inCidr(ip: number, c: Cidr): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.network;
}

/** Netmask `255.255.0.0` -> 16; undefined for a non-contiguous mask. */
export function prefixOfMask(mask: string): number | undefined {
  const n = parseIpv4(mask);
  if (n === undefined) return undefined;
  const prefix = 32 - Math.log2((~n >>> 0) + 1);
  return Number.isInteger(prefix) ? prefix : undefined;
}

export const isLoopbackIpv4 = (ip: number) => ip >>> 24 === 127;
