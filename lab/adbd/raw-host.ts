import { connect, type Socket } from 'node:net';
import { CMD, PacketReader, VERSION_SKIP_CHECKSUM, commandName, encodePacket, type Packet } from './protocol.ts';

// The host side of the wire protocol without an adb server in between: lets tests and lab probes see exactly
// which packets the board's adbd sends, and when.

export class RawAdbHost {
  banner = '';
  version = 0;
  maxPayload = 0;
  private readonly socket: Socket;
  private readonly reader = new PacketReader(() => 16 * 1024 * 1024, () => false);
  private readonly queue: Packet[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(...this.reader.push(chunk));
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  /** Connect and do the CNXN handshake the way adb 1.0.41 does (version 0x01000001, 1 MiB maxdata). */
  static async connect(host: string, port: number, opts: { version?: number; maxdata?: number } = {}): Promise<RawAdbHost> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const h = new RawAdbHost(socket);
    h.send(CMD.CNXN, opts.version ?? VERSION_SKIP_CHECKSUM, opts.maxdata ?? 1024 * 1024, Buffer.from('host::\0'));
    const reply = await h.next(5000);
    if (reply.command !== CMD.CNXN) throw new Error(`expected CNXN, got ${commandName(reply.command)}`);
    h.version = reply.arg0;
    h.maxPayload = reply.arg1;
    h.banner = reply.data.toString('utf8');
    return h;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(command: number, arg0: number, arg1: number, data: Buffer = Buffer.alloc(0)): void {
    this.socket.write(encodePacket({ command, arg0, arg1, data }, true));
  }

  /** Bytes as they are, e.g. a malformed header. */
  writeRaw(data: Buffer): void {
    this.socket.write(data);
  }

  /** The next packet from the device; rejects after `timeoutMs` or when the link closes. */
  async next(timeoutMs = 5000): Promise<Packet> {
    const p = await this.poll(timeoutMs);
    if (!p) throw new Error(this.closed ? 'link closed by the device' : `no packet within ${timeoutMs} ms`);
    return p;
  }

  /** The next packet, or undefined if none arrives within `ms`. */
  async poll(ms: number): Promise<Packet | undefined> {
    const deadline = Date.now() + ms;
    while (!this.queue.length && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.queue.shift();
  }

  /** OPEN a service as stream `localId`; resolves with the device's id, or undefined when it answered CLSE. */
  async open(localId: number, service: string): Promise<number | undefined> {
    this.send(CMD.OPEN, localId, 0, Buffer.from(`${service}\0`));
    const p = await this.next();
    if (p.command === CMD.OKAY && p.arg1 === localId) return p.arg0;
    if (p.command === CMD.CLSE && p.arg1 === localId) return undefined;
    throw new Error(`unexpected ${commandName(p.command)}(${p.arg0}, ${p.arg1}) in answer to OPEN`);
  }

  /** Collect a stream's output until the device closes it, acknowledging each WRTE. */
  async readToClose(localId: number, remoteId: number, timeoutMs = 10_000): Promise<Buffer> {
    const parts: Buffer[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.next(Math.max(1, deadline - Date.now()));
      if (p.arg1 !== localId) continue;
      if (p.command === CMD.WRTE) {
        parts.push(p.data);
        this.send(CMD.OKAY, localId, remoteId);
      } else if (p.command === CMD.CLSE) {
        return Buffer.concat(parts);
      }
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
