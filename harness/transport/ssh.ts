import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import pRetry, { AbortError } from 'p-retry';
import { Client, type ClientChannel } from 'ssh2';
import { boardFail, EdgecertError, infra, usage } from '../core/errors.ts';
import { shQuote } from '../core/quote.ts';
import type { CommandResult } from '../core/result.ts';
import { waitFor } from '../core/wait.ts';
import { serveForward } from './forward-server.ts';
import { pinnedHostKeys } from './known-hosts.ts';
import type { ExecOptions, Forward, Transport } from './types.ts';
import type { TransportSpec } from '../inventory/schema.ts';

type SshSpec = Extract<TransportSpec, { type: 'ssh' }>;

// ssh2 gives native exit codes, streamlocal forwarding for docker.sock and host-key pinning.
export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  private conn: Promise<Client> | undefined;

  constructor(
    private readonly spec: SshSpec,
    readonly board: string,
    private readonly connectTimeoutMs = 10_000,
  ) {}

  private connect(): Promise<Client> {
    if (this.conn) return this.conn;
    const attempt = () =>
      new Promise<Client>((resolve, reject) => {
        let privateKey: Buffer;
        let pinned: Buffer[];
        try {
          privateKey = readFileSync(this.spec.keyPath);
          pinned = pinnedHostKeys(this.spec.hostKey, this.spec.host, this.spec.port);
        } catch (e) {
          reject(new AbortError(e instanceof EdgecertError ? e : usage(`board ${this.board}: cannot read ssh key ${this.spec.keyPath}`, { cause: e })));
          return;
        }
        let mismatch = false;
        const c = new Client();
        c.once('ready', () => {
          // one small packet per channel request: Nagle would hold each behind the peer's delayed ACK (~40 ms)
          c.setNoDelay(true);
          resolve(c);
        });
        c.once('error', (err) => {
          reject(mismatch ? new AbortError(infra(`board ${this.board}: ssh host key of ${this.spec.host}:${this.spec.port} does not match transport.hostKey`, { cause: err })) : err);
        });
        c.on('close', () => {
          if (this.conn) this.conn = undefined;
        });
        c.connect({
          host: this.spec.host,
          port: this.spec.port,
          username: this.spec.user,
          privateKey,
          readyTimeout: this.connectTimeoutMs,
          keepaliveInterval: 5_000,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer) => {
            const good = pinned.some((k) => k.equals(key));
            mismatch = !good;
            return good;
          },
        });
      });
    this.conn = pRetry(attempt, { retries: 2, minTimeout: 300, maxTimeout: 1500 }).catch((err: unknown) => {
      this.conn = undefined;
      if (err instanceof EdgecertError) throw err;
      throw infra(`board ${this.board}: ssh to ${this.spec.user}@${this.spec.host}:${this.spec.port} failed: ${(err as Error).message}`, { cause: err });
    });
    return this.conn;
  }

  private async channel<T>(what: string, open: (c: Client, cb: (err: Error | undefined, ch: T) => void) => void): Promise<T> {
    const c = await this.connect();
    return new Promise<T>((resolve, reject) => {
      open(c, (err, ch) =>
        err ? reject(infra(`board ${this.board}: ssh ${what} failed: ${err.message}`, { cause: err })) : resolve(ch),
      );
    });
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    const start = performance.now();
    const stream = await this.channel<ClientChannel>('exec', (c, cb) => c.exec(command, cb));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stream.on('data', (d: Buffer) => out.push(d));
    stream.stderr.on('data', (d: Buffer) => err.push(d));
    if (opts.stdin !== undefined) stream.end(opts.stdin);
    else stream.end();
    let timedOut = false;
    const exitCode = await new Promise<number | null>((resolve) => {
      const timer =
        opts.timeout === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              stream.signal('KILL');
              stream.close();
              resolve(null);
            }, opts.timeout);
      stream.on('close', (code: number | null | undefined) => {
        if (timer) clearTimeout(timer);
        resolve(timedOut ? null : (code ?? null));
      });
    });
    return {
      command,
      exitCode,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      durationMs: Math.round(performance.now() - start),
      timedOut,
      board: this.board,
      transport: this.kind,
    };
  }

  // Files move through `cat` on an exec channel: works with OpenSSH and dropbear alike (no sftp-server needed).
  async push(localPath: string, remotePath: string, opts: { mode?: number; timeout?: number } = {}): Promise<void> {
    const mode = opts.mode === undefined ? '' : ` && chmod ${(opts.mode & 0o7777).toString(8)} ${shQuote(remotePath)}`;
    await this.streamFile(`cat > ${shQuote(remotePath)}${mode}`, 'push', opts.timeout, (ch) => pipeline(createReadStream(localPath), ch));
  }

  async pull(remotePath: string, localPath: string, opts: { timeout?: number } = {}): Promise<void> {
    await this.streamFile(`cat ${shQuote(remotePath)}`, 'pull', opts.timeout, (ch) => pipeline(ch, createWriteStream(localPath)));
  }

  private async streamFile(cmd: string, what: string, timeout = 120_000, move: (ch: ClientChannel) => Promise<void>): Promise<void> {
    const ch = await this.channel<ClientChannel>(what, (c, cb) => c.exec(cmd, cb));
    const stderr: Buffer[] = [];
    ch.stderr.on('data', (d: Buffer) => stderr.push(d));
    const code = new Promise<number | null>((r) => ch.on('exit', (c: number | null) => r(c)));
    const timer = setTimeout(() => ch.close(), timeout);
    try {
      await move(ch);
      const exit = await code;
      if (exit !== 0) throw boardFail(`board ${this.board}: ${what} failed (exit ${exit}): ${Buffer.concat(stderr).toString().trim()}`);
    } finally {
      clearTimeout(timer);
    }
  }

  forward(remote: { port: number } | { socketPath: string }): Promise<Forward> {
    return serveForward(this.board, remote, () =>
      'port' in remote
        ? this.channel<Duplex>('direct-tcpip', (c, cb) => c.forwardOut('127.0.0.1', 0, '127.0.0.1', remote.port, cb))
        : this.channel<Duplex>('streamlocal', (c, cb) => c.openssh_forwardOutStreamLocal(remote.socketPath, cb)),
    );
  }

  async reboot(opts: { timeout?: number } = {}): Promise<void> {
    await this.exec('(sleep 1; reboot) >/dev/null 2>&1 &', { timeout: 5_000 }).catch(() => undefined);
    await this.close();
    await new Promise((r) => setTimeout(r, 3_000));
    await this.waitOnline(opts.timeout ?? 120_000);
  }

  async waitOnline(timeoutMs: number): Promise<void> {
    await waitFor(`ssh ${this.spec.host}:${this.spec.port} online`, timeoutMs, async () => {
      const r = await this.exec('true', { timeout: 5_000 });
      return { done: r.exitCode === 0, state: r.exitCode };
    });
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c) (await c.catch(() => undefined))?.end();
  }
}
