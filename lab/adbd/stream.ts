// One ADB stream on the device side: the per-stream flow control (one WRTE in flight until the host's OKAY).

/** What a service sees of its stream. */
export interface StreamIo {
  /** Queue bytes for the host; they leave in WRTE packets, one in flight at a time. */
  write(data: Buffer): void;
  /** Bytes queued but not yet acknowledged by the host. */
  readonly backlog: number;
  /** Resolves once the backlog is below `HIGH_WATER` (or the stream is gone). */
  drained(): Promise<void>;
  /** Flush what is queued, then close the stream (CLSE). */
  end(): void;
  readonly closed: boolean;
}

/** What the stream needs from a service. */
export interface ServiceHandler {
  /** A WRTE payload from the host; the OKAY is sent when the returned promise settles (that is the backpressure). */
  onData(data: Buffer): void | Promise<void>;
  /** The host closed the stream or the link went away: release everything. Never answered with CLSE. */
  onClose(): void;
}

export const HIGH_WATER = 512 * 1024;

export interface StreamLink {
  sendWrite(localId: number, remoteId: number, data: Buffer): void;
  sendOkay(localId: number, remoteId: number): void;
  sendClose(localId: number, remoteId: number): void;
  maxPayload(): number;
  /** The stream is finished: forget its id. */
  release(localId: number): void;
}

export class DeviceStream implements StreamIo {
  private queue: Buffer[] = [];
  private queued = 0;
  private inFlight = false;
  private ending = false;
  private done = false;
  private started = false;
  private waiters: (() => void)[] = [];
  private inbound: Promise<void> = Promise.resolve();
  handler: ServiceHandler | undefined;

  readonly localId: number;
  readonly remoteId: number;
  private readonly link: StreamLink;

  constructor(localId: number, remoteId: number, link: StreamLink) {
    this.localId = localId;
    this.remoteId = remoteId;
    this.link = link;
  }

  get backlog(): number {
    return this.queued;
  }
  get closed(): boolean {
    return this.done;
  }

  write(data: Buffer): void {
    if (this.done || this.ending || data.length === 0) return;
    this.queue.push(data);
    this.queued += data.length;
    this.pump();
  }

  drained(): Promise<void> {
    if (this.done || this.queued < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  end(): void {
    if (this.done) return;
    this.ending = true;
    this.pump();
  }

  /** The host has our OKAY for its OPEN: from now on WRTEs may leave. */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** OKAY from the host: our WRTE arrived. */
  acknowledged(): void {
    this.inFlight = false;
    this.pump();
  }

  /** WRTE from the host: hand it to the service in order, acknowledge once it is consumed. */
  received(data: Buffer): void {
    this.inbound = this.inbound
      .then(() => this.handler?.onData(data))
      .then(
        () => {
          if (!this.done) this.link.sendOkay(this.localId, this.remoteId);
        },
        () => this.closeFromDevice(),
      );
  }

  /** CLSE from the host, or the connection is gone. */
  closedByHost(): void {
    if (this.done) return;
    this.finish();
  }

  private closeFromDevice(): void {
    if (this.done) return;
    this.link.sendClose(this.localId, this.remoteId);
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.queue = [];
    this.queued = 0;
    this.link.release(this.localId);
    this.wake();
    try {
      this.handler?.onClose();
    } catch {
      // a service's clean-up must not take the daemon down
    }
  }

  private pump(): void {
    if (this.done || !this.started) return;
    if (this.queued === 0) {
      // a WRTE still awaiting its OKAY is already on the wire, ahead of the CLSE: no need to wait for it
      if (this.ending) this.closeFromDevice();
      return;
    }
    if (this.inFlight) return;
    const max = this.link.maxPayload();
    const parts: Buffer[] = [];
    let size = 0;
    while (size < max && this.queue.length) {
      const head = this.queue[0]!;
      const room = max - size;
      if (head.length <= room) {
        parts.push(head);
        size += head.length;
        this.queue.shift();
      } else {
        parts.push(head.subarray(0, room));
        this.queue[0] = head.subarray(room);
        size += room;
      }
    }
    this.queued -= size;
    this.inFlight = true;
    this.link.sendWrite(this.localId, this.remoteId, parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    if (this.queued < HIGH_WATER) this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
