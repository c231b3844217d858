import { createServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { infra } from '../core/errors.ts';
import { log } from '../core/log.ts';
import type { Forward } from './types.ts';

type Remote = { port: number } | { socketPath: string };

/** A loopback listener that opens one upstream (through the transport) per accepted connection. */
export async function serveForward(board: string, remote: Remote, openUpstream: () => Promise<Duplex>): Promise<Forward> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.pause();
    openUpstream().then(
      (up) => {
        sock.pipe(up).pipe(sock);
        sock.resume();
        up.on('error', () => sock.destroy());
        sock.on('error', () => up.destroy());
        up.on('close', () => sock.destroy());
      },
      (err: unknown) => {
        log.warn(`forward to ${board} ${JSON.stringify(remote)} failed: ${(err as Error).message}`);
        sock.destroy();
      },
    );
  });
  await new Promise<void>((res, rej) => server.once('error', rej).listen(0, '127.0.0.1', () => res()));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw infra(`forward for ${board}: no local port`);
  return {
    local: { port: addr.port },
    remote,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
