import { spawn } from 'node:child_process';
import { HIGH_WATER, type ServiceHandler, type StreamIo } from '../stream.ts';

// Legacy (non shell_v2) shell: one merged output stream and no exit status, exactly what an old-protocol host sees.

/** Run `/bin/sh -c <command>` (interactive `sh -i` when empty) with stderr merged into stdout, in its own process group. */
export function openShell(command: string, io: StreamIo): ServiceHandler {
  // `exec 2>&1` first: one pipe for both streams keeps their order, as a real adbd's single socket does
  const script = command === '' ? 'exec 2>&1\nexec /bin/sh -i' : `exec 2>&1\n${command}`;
  const child = spawn('/bin/sh', ['-c', script], { cwd: '/', detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  let exited = false;

  child.on('error', () => io.end());
  child.stdin.on('error', () => {});
  child.stdout.on('data', (chunk: Buffer) => {
    io.write(chunk);
    if (io.backlog >= HIGH_WATER && !io.closed) {
      child.stdout.pause();
      void io.drained().then(() => child.stdout.resume());
    }
  });
  child.on('close', () => {
    exited = true;
    io.end();
  });

  return {
    onData: (data) =>
      new Promise<void>((resolve) => {
        if (exited || child.stdin.destroyed) return resolve();
        child.stdin.write(data, () => resolve());
      }),
    // the host closed the stream while the command still ran: end the whole group, as a hung-up terminal would
    onClose: () => {
      if (exited || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
