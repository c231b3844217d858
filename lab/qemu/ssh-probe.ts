// qemu's user-mode forward accepts TCP even before the guest listens, so only an SSH banner proves sshd is up.
import { connect } from 'node:net';

export function sshBanner(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = '';
    const sock = connect({ host, port });
    const done = (v: string | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(undefined));
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(buf.startsWith('SSH-') ? buf.split('\n')[0]!.trim() : undefined));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n')) done(buf.startsWith('SSH-') ? buf.split('\n')[0]!.trim() : undefined);
    });
  });
}
