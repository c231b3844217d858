import { connect, type Socket } from 'node:net';
import { HIGH_WATER, type ServiceHandler, type StreamIo } from '../stream.ts';

// `adb forward` reaches board services through these: the stream only opens once the local connect succeeded.

export type SocketTarget = { port: number; host: string } | { path: string };

/** `tcp:PORT`, `tcp:PORT:HOST` (or `tcp:HOST:PORT`), `localfilesystem:PATH`; undefined for anything else. */
export function parseSocketService(service: string): SocketTarget | undefined {
  if (service.startsWith('localfilesystem:')) {
    const path = service.slice('localfilesystem:'.length);
    return path ? { path } : undefined;
  }
  if (!service.startsWith('tcp:')) return undefined;
  const parts = service.slice(4).split(':');
  const asPort = (s: string | undefined) => (s && /^\d{1,5}$/.test(s) && Number(s) > 0 && Number(s) < 65536 ? Number(s) : undefined);
  if (parts.length === 1) {
    const port = asPort(parts[0]);
    return port === undefined ? undefined : { port, host: '127.0.0.1' };
  }
  if (parts.length === 2) {
    const [a, b] = parts;
    const port = asPort(a) ?? asPort(b);
    const host = asPort(a) !== undefined ? b : a;
    return port === undefined || !host ? undefined : { port, host };
  }
  return undefined;
}

/** Connect to the target, then pipe it to the stream with backpressure both ways. */
export function openSocket(target: SocketTarget, io: StreamIo): Promise<ServiceHandler> {
  return new Promise((resolve, reject) => {
    const sock: Socket = 'path' in target ? connect(target.path) : connect(target.port, target.host);
    sock.once('error', reject);
    sock.once('connect', () => {
      sock.off('error', reject);
      sock.on('error', () => io.end());
      sock.on('data', (chunk: Buffer) => {
        io.write(chunk);
        if (io.backlog >= HIGH_WATER && !io.closed) {
          sock.pause();
          void io.drained().then(() => sock.resume());
        }
      });
      sock.on('close', () => io.end());
      resolve({
        onData: (data) =>
          new Promise<void>((done) => {
            if (sock.destroyed) return done();
            sock.write(data, () => done());
          }),
        onClose: () => sock.destroy(),
      });
    });
  });
}
