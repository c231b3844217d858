import { copyFile, chmod } from 'node:fs/promises';
import { connect } from 'node:net';
import { execa } from 'execa';
import { usage } from '../core/errors.ts';
import type { CommandResult } from '../core/result.ts';
import { serveForward } from './forward-server.ts';
import type { ExecOptions, Forward, Transport } from './types.ts';

// The lab host itself as a board: plain child processes, no link that can fail.
export class LocalTransport implements Transport {
  readonly kind = 'local' as const;
  constructor(readonly board: string) {}

  async exec(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    const start = performance.now();
    // own process group, so a timeout kills the whole pipeline and not only the shell
    const child = execa('/bin/sh', ['-c', command], { reject: false, input: opts.stdin ?? '', stripFinalNewline: false, detached: true });
    let timedOut = false;
    const timer =
      opts.timeout === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {}
          }, opts.timeout);
    const r = await child;
    if (timer) clearTimeout(timer);
    return {
      command,
      exitCode: timedOut ? null : (r.exitCode ?? null),
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
      durationMs: Math.round(performance.now() - start),
      timedOut,
      board: this.board,
      transport: this.kind,
    };
  }

  async push(localPath: string, remotePath: string, opts: { mode?: number } = {}): Promise<void> {
    await copyFile(localPath, remotePath);
    if (opts.mode !== undefined) await chmod(remotePath, opts.mode);
  }

  async pull(remotePath: string, localPath: string): Promise<void> {
    await copyFile(remotePath, localPath);
  }

  forward(remote: { port: number } | { socketPath: string }): Promise<Forward> {
    return serveForward(this.board, remote, async () =>
      'port' in remote ? connect(remote.port, '127.0.0.1') : connect(remote.socketPath),
    );
  }

  async reboot(): Promise<void> {
    throw usage(`board ${this.board}: the local transport cannot reboot the lab host`);
  }
  async waitOnline(): Promise<void> {}
  async close(): Promise<void> {}
}
