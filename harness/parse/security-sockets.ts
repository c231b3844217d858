// /proc/net/tcp and /proc/net/tcp6: listening sockets without `ss` or `netstat` (neither is on Android/OpenHarmony
// by default), and which process owns each one through the socket inodes in /proc/<pid>/fd.

export interface Listener {
  family: 4 | 6;
  address: string;
  port: number;
  inode: string;
  uid: number;
  /** reachable only from the board itself */
  loopback: boolean;
  /** bound to every address (0.0.0.0 or ::) */
  wildcard: boolean;
}

export interface ParsedSockets {
  listeners: Listener[];
  unparsed: string[];
}

const LISTEN = '0A';

// the kernel prints each 32-bit word of the address in host order; the boards here are little-endian
function wordBytesLe(hex8: string): number[] {
  const n = parseInt(hex8, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
}

function decodeAddress(hex: string): { address: string; loopback: boolean; wildcard: boolean } | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(hex)) {
    const b = wordBytesLe(hex);
    return { address: b.join('.'), loopback: b[0] === 127, wildcard: b.every((x) => x === 0) };
  }
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined;
  const bytes = [0, 8, 16, 24].flatMap((i) => wordBytesLe(hex.slice(i, i + 8)));
  const zeroPrefix = bytes.slice(0, 10).every((x) => x === 0);
  if (zeroPrefix && bytes[10] === 255 && bytes[11] === 255) {
    const v4 = bytes.slice(12);
    return { address: `::ffff:${v4.join('.')}`, loopback: v4[0] === 127, wildcard: false };
  }
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const all0 = bytes.every((x) => x === 0);
  const isOne = bytes.slice(0, 15).every((x) => x === 0) && bytes[15] === 1;
  return { address: all0 ? '::' : isOne ? '::1' : groups.join(':'), loopback: isOne, wildcard: all0 };
}

export function parseProcNetTcp(text: string, family: 4 | 6): ParsedSockets {
  const listeners: Listener[] = [];
  const unparsed: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!line.trim() || f[0] === 'sl') continue;
    const [addrHex, portHex] = (f[1] ?? '').split(':');
    const addr = addrHex ? decodeAddress(addrHex) : undefined;
    if (!/^\d+:$/.test(f[0] ?? '') || !addr || !/^[0-9A-Fa-f]{4}$/.test(portHex ?? '') || !/^[0-9A-Fa-f]{2}$/.test(f[3] ?? '') || !/^\d+$/.test(f[7] ?? '') || !/^\d+$/.test(f[9] ?? '')) {
      unparsed.push(line);
      continue;
    }
    if (f[3]!.toUpperCase() !== LISTEN) continue;
    listeners.push({ family, ...addr, port: parseInt(portHex!, 16), inode: f[9]!, uid: Number(f[7]) });
  }
  return { listeners, unparsed };
}

/** Socket inodes held by a process, from `ls -l /proc/<pid>/fd` lines (`... 5 -> socket:[12345]`). */
export function socketInodes(lsOutput: string): Set<string> {
  const out = new Set<string>();
  for (const m of lsOutput.matchAll(/socket:\[(\d+)\]/g)) out.add(m[1]!);
  return out;
}

export const describeListener = (l: Listener) => (l.family === 6 ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`);
