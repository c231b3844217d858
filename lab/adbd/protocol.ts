// The ADB wire format (24-byte little-endian header + payload) as the host adb server speaks it over TCP.

const tag = (s: string): number => Buffer.from(s, 'latin1').readUInt32LE(0);

export const CMD = {
  SYNC: tag('SYNC'),
  CNXN: tag('CNXN'),
  AUTH: tag('AUTH'),
  OPEN: tag('OPEN'),
  OKAY: tag('OKAY'),
  CLSE: tag('CLSE'),
  WRTE: tag('WRTE'),
  STLS: tag('STLS'),
} as const;

/** Oldest protocol version we accept, and the one from which data checksums are no longer sent or checked. */
export const VERSION_MIN = 0x01000000;
export const VERSION_SKIP_CHECKSUM = 0x01000001;
/** Largest payload this device accepts (what real adbd advertises). */
export const DEVICE_MAX_PAYLOAD = 256 * 1024;
export const HEADER_SIZE = 24;

export interface Packet {
  command: number;
  arg0: number;
  arg1: number;
  data: Buffer;
}

export function commandName(command: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(command >>> 0);
  return /^[A-Z]{4}$/.test(b.toString('latin1')) ? b.toString('latin1') : `0x${(command >>> 0).toString(16)}`;
}

/** Sum of the payload bytes: the "checksum" of protocol versions before VERSION_SKIP_CHECKSUM. */
export function payloadSum(data: Buffer): number {
  let sum = 0;
  for (const byte of data) sum = (sum + byte) >>> 0;
  return sum;
}

export function encodePacket(p: Packet, withChecksum: boolean): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(p.command >>> 0, 0);
  header.writeUInt32LE(p.arg0 >>> 0, 4);
  header.writeUInt32LE(p.arg1 >>> 0, 8);
  header.writeUInt32LE(p.data.length, 12);
  header.writeUInt32LE(withChecksum ? payloadSum(p.data) : 0, 16);
  header.writeUInt32LE((p.command ^ 0xffffffff) >>> 0, 20);
  return p.data.length ? Buffer.concat([header, p.data]) : header;
}

/** Splits a TCP byte stream into packets; throws on a header no real host would send (the caller drops the link). */
export class PacketReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private header: { command: number; arg0: number; arg1: number; length: number; check: number } | undefined;

  private readonly maxPayload: () => number;
  private readonly verifyChecksum: () => boolean;

  constructor(maxPayload: () => number, verifyChecksum: () => boolean) {
    this.maxPayload = maxPayload;
    this.verifyChecksum = verifyChecksum;
  }

  push(chunk: Buffer): Packet[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Packet[] = [];
    for (;;) {
      if (!this.header) {
        if (this.pendingBytes < HEADER_SIZE) break;
        const h = this.take(HEADER_SIZE);
        const command = h.readUInt32LE(0);
        if (h.readUInt32LE(20) !== (command ^ 0xffffffff) >>> 0) throw new Error(`bad magic for command ${commandName(command)}`);
        const length = h.readUInt32LE(12);
        if (length > this.maxPayload()) throw new Error(`payload of ${length} bytes exceeds ${this.maxPayload()}`);
        this.header = { command, arg0: h.readUInt32LE(4), arg1: h.readUInt32LE(8), length, check: h.readUInt32LE(16) };
      }
      if (this.pendingBytes < this.header.length) break;
      const data = this.header.length ? this.take(this.header.length) : Buffer.alloc(0);
      if (this.verifyChecksum() && payloadSum(data) !== this.header.check) {
        throw new Error(`checksum mismatch on ${commandName(this.header.command)}`);
      }
      out.push({ command: this.header.command, arg0: this.header.arg0, arg1: this.header.arg1, data });
      this.header = undefined;
    }
    return out;
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingBytes = rest.length;
    return head;
  }
}
