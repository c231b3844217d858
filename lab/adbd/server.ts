import { createServer, type Server } from 'node:net';
import { HostConnection } from './connection.ts';
import { deviceBanner } from './props.ts';
import { openShell } from './services/shell.ts';
import { openSocket, parseSocketService } from './services/socket.ts';
import { openSync } from './services/sync.ts';
import type { ServiceHandler, StreamIo } from './stream.ts';

// The virtual lab's Android board daemon: what a real adbd offers over TCP, minus auth and shell_v2.

/**
 * Exit codes of main.ts. REBOOT is sysexits' EX_TEMPFAIL ("try again"): the process asks its supervisor
 * to start it again, which is how a virtual board "reboots".
 */
export const ADBD_EXIT = { OK: 0, FATAL: 1, USAGE: 2, REBOOT: 75 } as const;

export interface AdbdOptions {
  props: Map<string, string>;
  /** Called after `reboot:` was accepted and every link was closed. */
  onReboot?: () => void;
  log?: (line: string) => void;
}

export interface Adbd {
  server: Server;
  /** Close the listener and every host link (their shells are killed). */
  close(): Promise<void>;
}

export function createAdbd(opts: AdbdOptions): Adbd {
  const banner = deviceBanner(opts.props);
  const links = new Set<HostConnection>();
  let rebooting = false;

  const reboot = () => {
    if (rebooting) return;
    rebooting = true;
    opts.log?.('reboot requested');
    server.close();
    for (const l of links) l.endGracefully();
    // give the kernel a moment to flush the final CLSE before the process goes away
    setTimeout(() => opts.onReboot?.(), 100);
  };

  const openService = (service: string, io: StreamIo): ServiceHandler | Promise<ServiceHandler> => {
    if (service.startsWith('shell:')) return openShell(service.slice('shell:'.length), io);
    if (service === 'sync:') return openSync(io);
    if (service === 'reboot:' || service.startsWith('reboot:')) {
      io.end();
      setImmediate(reboot);
      return { onData: () => {}, onClose: () => {} };
    }
    const target = parseSocketService(service);
    if (target) return openSocket(target, io);
    throw new Error('unknown service');
  };

  const server = createServer((socket) => {
    if (rebooting) return socket.destroy();
    const link = new HostConnection(socket, { banner, openService, log: opts.log });
    links.add(link);
    socket.on('close', () => links.delete(link));
  });

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const l of links) l.teardown();
        server.close(() => resolve());
      }),
  };
}
