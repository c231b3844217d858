import type { Socket } from 'node:net';
import { CMD, DEVICE_MAX_PAYLOAD, PacketReader, VERSION_MIN, VERSION_SKIP_CHECKSUM, encodePacket, type Packet } from './protocol.ts';
import { DeviceStream, type ServiceHandler, type StreamIo, type StreamLink } from './stream.ts';

// One host link (one TCP connection from an adb server): the CNXN handshake and the table of open streams.

/** Opens a service for an OPEN; a rejection or throw answers the OPEN with CLSE. */
export type ServiceOpener = (service: string, io: StreamIo) => ServiceHandler | Promise<ServiceHandler>;

export interface ConnectionOptions {
  banner: string;
  openService: ServiceOpener;
  log?: (line: string) => void;
}

export class HostConnection implements StreamLink {
  private readonly streams = new Map<number, DeviceStream>();
  private nextId = 1;
  private version: number | undefined;
  private hostMaxPayload = DEVICE_MAX_PAYLOAD;
  private readonly reader: PacketReader;
  private gone = false;
  private readonly socket: Socket;
  private readonly opts: ConnectionOptions;

  constructor(socket: Socket, opts: ConnectionOptions) {
    this.socket = socket;
    this.opts = opts;
    this.reader = new PacketReader(
      () => DEVICE_MAX_PAYLOAD,
      () => this.version !== undefined && this.version < VERSION_SKIP_CHECKSUM,
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', () => this.teardown());
    socket.on('close', () => this.teardown());
  }

  maxPayload(): number {
    return Math.min(this.hostMaxPayload, DEVICE_MAX_PAYLOAD);
  }

  sendWrite(localId: number, remoteId: number, data: Buffer): void {
    this.send({ command: CMD.WRTE, arg0: localId, arg1: remoteId, data });
  }
  sendOkay(localId: number, remoteId: number): void {
    this.send({ command: CMD.OKAY, arg0: localId, arg1: remoteId, data: Buffer.alloc(0) });
  }
  sendClose(localId: number, remoteId: number): void {
    this.send({ command: CMD.CLSE, arg0: localId, arg1: remoteId, data: Buffer.alloc(0) });
  }
  release(localId: number): void {
    this.streams.delete(localId);
  }

  /** Drop the link: every stream's service is released as if the host had closed it. */
  teardown(): void {
    if (this.gone) return;
    this.gone = true;
    for (const s of [...this.streams.values()]) s.closedByHost();
    this.streams.clear();
    this.socket.destroy();
  }

  /** Flush what is written, then close (used before the daemon exits). */
  endGracefully(): void {
    for (const s of [...this.streams.values()]) s.closedByHost();
    this.socket.end();
  }

  private send(p: Packet): void {
    if (this.gone || this.socket.destroyed) return;
    // CNXN always carries a checksum: the host checks it before it knows our version
    const checksum = p.command === CMD.CNXN || (this.version ?? VERSION_MIN) < VERSION_SKIP_CHECKSUM;
    this.socket.write(encodePacket(p, checksum));
  }

  private onBytes(chunk: Buffer): void {
    let packets: Packet[];
    try {
      packets = this.reader.push(chunk);
    } catch (e) {
      this.opts.log?.(`dropping host link: ${(e as Error).message}`);
      this.teardown();
      return;
    }
    for (const p of packets) {
      if (this.gone) return;
      this.handle(p);
    }
  }

  private handle(p: Packet): void {
    switch (p.command) {
      case CMD.CNXN:
        return this.onConnect(p);
      case CMD.OPEN:
        if (this.version !== undefined) this.onOpen(p);
        return;
      case CMD.WRTE:
        return this.streams.get(p.arg1)?.received(p.data);
      case CMD.OKAY: {
        const s = this.streams.get(p.arg1);
        if (s && s.remoteId === p.arg0) s.acknowledged();
        return;
      }
      case CMD.CLSE:
        // never answered: the host has already forgotten the stream
        return this.streams.get(p.arg1)?.closedByHost();
      default:
        // AUTH, STLS, SYNC: not part of what this device offers
        return;
    }
  }

  private onConnect(p: Packet): void {
    if (p.arg0 < VERSION_MIN) {
      this.opts.log?.(`host protocol version 0x${p.arg0.toString(16)} is too old`);
      this.teardown();
      return;
    }
    // a second CNXN means the host restarted its side: forget old streams
    for (const s of [...this.streams.values()]) s.closedByHost();
    this.streams.clear();
    this.version = Math.min(p.arg0, VERSION_SKIP_CHECKSUM);
    this.hostMaxPayload = p.arg1 || DEVICE_MAX_PAYLOAD;
    this.send({ command: CMD.CNXN, arg0: this.version, arg1: DEVICE_MAX_PAYLOAD, data: Buffer.from(this.opts.banner, 'utf8') });
  }

  private onOpen(p: Packet): void {
    const remoteId = p.arg0;
    const nul = p.data.indexOf(0);
    const service = p.data.toString('utf8', 0, nul < 0 ? p.data.length : nul);
    const localId = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    const stream = new DeviceStream(localId, remoteId, this);
    this.streams.set(localId, stream);
    const refuse = (why: unknown) => {
      this.streams.delete(localId);
      this.opts.log?.(`refused ${JSON.stringify(service.slice(0, 80))}: ${(why as Error)?.message ?? String(why)}`);
      this.send({ command: CMD.CLSE, arg0: 0, arg1: remoteId, data: Buffer.alloc(0) });
    };
    let opened: ServiceHandler | Promise<ServiceHandler>;
    try {
      opened = this.opts.openService(service, stream);
    } catch (e) {
      refuse(e);
      return;
    }
    Promise.resolve(opened).then(
      (handler) => {
        if (this.gone || stream.closed) return handler.onClose();
        stream.handler = handler;
        this.sendOkay(localId, remoteId);
        stream.start();
      },
      refuse,
    );
  }
}
