import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import pRetry from 'p-retry';
import { infra, usage } from '../core/errors.ts';
import { log } from '../core/log.ts';
import type { CommandResult } from '../core/result.ts';
import { waitFor } from '../core/wait.ts';
import { AdbDeadlineError, asInfra, isLinkError, withDeadline } from './adb-errors.ts';
import { createAdbClient, openServiceOn, type AdbClient, type AdbConnection, type AdbDevice } from './adb-kit.ts';
import { parseMarkedOutput, wrapCommand } from './exit-marker.ts';
import { serveForward } from './forward-server.ts';
import type { ExecOptions, Forward, Transport } from './types.ts';

// Android boards through the host adb server (adbkit). The board's adbd speaks the legacy shell, so:
// - stderr is merged into stdout by the board: every CommandResult over adb has stderr ''.
// - the exit status travels as a marker line that is stripped from stdout byte-exactly.
// - opts.stdin is fed by the board shell's printf (limit: the 64 KiB adb request; no NUL bytes).
// Link failures are INFRA; only steps that cannot have started anything on the board are retried.

export interface AdbSpec {
  type: 'adb';
  serial: string;
  server?: { host: string; port: number };
}

export interface AdbTransportOptions {
  /** Budget for reaching the board (server, connect, host:transport) per operation; default 10 s. */
  linkTimeoutMs?: number;
}

const TRANSFER_TIMEOUT_MS = 120_000;
const REBOOT_TIMEOUT_MS = 120_000;
const PULL_FAIL_GRACE_MS = 25;
/** How long a reboot may take to make the board drop off the server before we just wait for it to be back. */
const GOING_DOWN_MS = 10_000;

type Remote = { port: number } | { socketPath: string };

export class AdbTransport implements Transport {
  readonly kind = 'adb' as const;
  readonly board: string;
  private readonly serial: string;
  private readonly client: AdbClient;
  private readonly device: AdbDevice;
  /** Set when the serial is host:port: the transport runs `adb connect` itself. */
  private readonly tcp: { host: string; port: number } | undefined;
  private readonly linkTimeoutMs: number;
  private connected: Promise<void> | undefined;
  private readonly forwards = new Set<Forward>();

  constructor(spec: AdbSpec, boardId: string, opts: AdbTransportOptions = {}) {
    this.board = boardId;
    this.serial = spec.serial;
    this.linkTimeoutMs = opts.linkTimeoutMs ?? 10_000;
    this.client = createAdbClient(spec.server?.host ?? '127.0.0.1', spec.server?.port ?? 5037);
    // adbkit re-emits socket errors on the client; without a listener they would crash the run
    this.client.on('error', (e: Error) => log.debug(`adb ${boardId}: client error: ${e.message}`));
    this.device = this.client.getDevice(spec.serial);
    const m = /^(.+):(\d{1,5})$/.exec(spec.serial);
    this.tcp = m ? { host: m[1]!, port: Number(m[2]) } : undefined;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    const start = performance.now();
    const { script, marker } = wrapCommand(command, opts.stdin);
    const timeout = opts.timeout ?? Infinity;
    const left = () => timeout - (performance.now() - start);

    const stream = await this.openService(`shell:${script}`, 'run a command', Math.min(this.linkTimeoutMs, timeout));
    const chunks: Buffer[] = [];
    const ended = await new Promise<'end' | 'timeout' | Error>((resolve) => {
      const timer = Number.isFinite(timeout) ? setTimeout(() => resolve('timeout'), Math.max(0, left())) : undefined;
      const settle = (how: 'end' | Error) => {
        clearTimeout(timer);
        resolve(how);
      };
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.once('end', () => settle('end'));
      stream.once('close', () => settle('end'));
      stream.once('error', (e: Error) => settle(e));
    });
    // closing our side makes the server CLSE the stream; the board kills what the command left running
    stream.destroy();

    const { stdout, exitCode } = parseMarkedOutput(Buffer.concat(chunks), marker);
    const result: CommandResult = {
      command,
      exitCode,
      stdout: stdout.toString('utf8'),
      stderr: '',
      durationMs: Math.round(performance.now() - start),
      timedOut: false,
      board: this.board,
      transport: this.kind,
    };
    if (ended === 'timeout') return { ...result, exitCode: null, timedOut: true };
    if (exitCode === null) {
      const why = ended instanceof Error ? ended.message : 'the stream ended before the exit status arrived';
      throw infra(`adb ${this.board}: link lost while a command ran (${why})`, {
        cause: ended instanceof Error ? ended : undefined,
        evidence: { command, 'partial output': result.stdout.slice(-4000) },
      });
    }
    return result;
  }

  async push(localPath: string, remotePath: string, opts: { mode?: number; timeout?: number } = {}): Promise<void> {
    const st = await stat(localPath).catch(() => undefined);
    if (!st?.isFile()) throw usage(`push to ${this.board}: ${localPath} is not a readable file`);
    const budget = opts.timeout ?? TRANSFER_TIMEOUT_MS;
    const start = performance.now();
    const sync = await this.linkStep('open sync for push', Math.min(this.linkTimeoutMs, budget), (ms) =>
      withDeadline(this.device.syncService(), ms, 'sync:', (s) => s.end()),
    );
    try {
      await withDeadline(
        new Promise<void>((resolve, reject) => {
          const t = sync.pushFile(localPath, remotePath, opts.mode ?? 0o644);
          t.once('error', reject);
          t.once('end', resolve);
        }),
        budget - (performance.now() - start),
        `push ${localPath} -> ${remotePath}`,
      );
    } catch (e) {
      throw this.transferError('push', remotePath, e);
    } finally {
      sync.end();
    }
  }

  async pull(remotePath: string, localPath: string, opts: { timeout?: number } = {}): Promise<void> {
    const budget = opts.timeout ?? TRANSFER_TIMEOUT_MS;
    const start = performance.now();
    const left = () => budget - (performance.now() - start);
    const sync = await this.linkStep('open sync for pull', Math.min(this.linkTimeoutMs, budget), (ms) =>
      withDeadline(this.device.syncService(), ms, 'sync:', (s) => s.end()),
    );
    const out = createWriteStream(localPath);
    try {
      const transfer = sync.pull(remotePath);
      await withDeadline(
        new Promise<void>((resolve, reject) => {
          transfer.once('error', reject);
          out.once('error', reject);
          // adbkit ends the stream first and reports a FAIL some event-loop turns later: give that error time to land
          out.once('close', () => setTimeout(resolve, PULL_FAIL_GRACE_MS));
          transfer.pipe(out);
        }),
        left(),
        `pull ${remotePath} -> ${localPath}`,
      );
    } catch (e) {
      out.destroy();
      await unlink(localPath).catch(() => undefined);
      throw this.transferError('pull', remotePath, e);
    } finally {
      sync.end();
    }
  }

  async forward(remote: Remote, opts: { timeout?: number } = {}): Promise<Forward> {
    const service = 'port' in remote ? `tcp:${remote.port}` : `localfilesystem:${remote.socketPath}`;
    const budget = Math.min(this.linkTimeoutMs, opts.timeout ?? Infinity);
    const open = () => this.openService(service, `open ${service}`, budget);
    // one probe up front, so a board without the service fails here (INFRA) and not on first use
    (await open()).destroy();
    const fwd = await serveForward(this.board, remote, open);
    const tracked: Forward = {
      ...fwd,
      close: async () => {
        this.forwards.delete(tracked);
        await fwd.close();
      },
    };
    this.forwards.add(tracked);
    return tracked;
  }

  async reboot(opts: { timeout?: number } = {}): Promise<void> {
    const budget = opts.timeout ?? REBOOT_TIMEOUT_MS;
    const start = performance.now();
    const left = () => budget - (performance.now() - start);
    const stream = await this.openService('reboot:', 'reboot', Math.min(this.linkTimeoutMs, budget));
    // the board closes the stream as it goes down; a broken link here is the reboot itself
    await withDeadline(
      new Promise<void>((resolve) => {
        stream.resume();
        stream.once('close', resolve);
        stream.once('end', resolve);
        stream.once('error', () => resolve());
      }),
      Math.min(GOING_DOWN_MS, left()),
      'reboot: stream close',
    ).catch(() => undefined);
    stream.destroy();
    try {
      await waitFor(`${this.serial} to leave the adb server after reboot`, Math.max(1, Math.min(GOING_DOWN_MS, left())), async () => {
        const state = await this.state();
        return { done: state !== 'device', state };
      }, { intervalMs: 100 });
    } catch {
      log.warn(`adb ${this.board}: never saw the board go offline after reboot; waiting for it to be online`);
    }
    await this.waitOnline(Math.max(1, left()));
  }

  async waitOnline(timeoutMs: number): Promise<void> {
    let lastReconnect = 0;
    await waitFor(`adb device ${this.serial} (board ${this.board}) online`, timeoutMs, async () => {
      let state = await this.state();
      // after the board's adbd came back the server keeps the old link "offline" for ~10 s; a fresh connect is immediate
      if ((state === 'offline' || state === 'absent') && this.tcp && performance.now() - lastReconnect > 1000) {
        lastReconnect = performance.now();
        await this.reconnect();
        state = await this.state();
      }
      return { done: state === 'device', state };
    }, { intervalMs: 250 });
  }

  async close(): Promise<void> {
    await Promise.all([...this.forwards].map((f) => f.close()));
  }

  /** The board's state as the server lists it: 'device', 'offline', 'unauthorized', ... or 'absent'. */
  private async state(): Promise<string> {
    const devices = await withDeadline(this.client.listDevices(), this.linkTimeoutMs, 'host:devices');
    return devices.find((d) => d.id === this.serial)?.type ?? 'absent';
  }

  private async reconnect(): Promise<void> {
    if (!this.tcp) return;
    this.connected = undefined;
    await withDeadline(this.client.disconnect(this.tcp.host, this.tcp.port), this.linkTimeoutMs, 'host:disconnect').catch(() => undefined);
    await this.ensureConnected(this.linkTimeoutMs).catch(() => undefined);
  }

  /** `adb connect` once per transport for host:port serials (it answers "already connected" when it is). */
  private ensureConnected(ms: number): Promise<void> {
    if (!this.tcp) return Promise.resolve();
    this.connected ??= withDeadline(this.client.connect(this.tcp.host, this.tcp.port), ms, `adb connect ${this.serial}`).then(
      () => undefined,
      (e: unknown) => {
        this.connected = undefined;
        throw e;
      },
    );
    return this.connected;
  }

  /**
   * Reach the board and switch a server connection to it (host:transport): nothing has run on the board yet,
   * so link failures here are retried a bounded number of times.
   */
  private linkStep<T>(what: string, budgetMs: number, step: (ms: number) => Promise<T>): Promise<T> {
    const start = performance.now();
    const left = () => budgetMs - (performance.now() - start);
    return pRetry(
      async () => {
        if (left() <= 0) throw new AdbDeadlineError(what, budgetMs);
        try {
          await this.ensureConnected(left());
          return await step(left());
        } catch (e) {
          // a host:port board the server forgot (disconnected) needs a fresh `adb connect`
          if (/not found/i.test((e as Error)?.message ?? '')) this.connected = undefined;
          // after the board's adbd restarted the server keeps the old link "offline" for ~10 s; reconnect at once
          if (/offline/i.test((e as Error)?.message ?? '') && this.tcp) await this.reconnect();
          throw e;
        }
      },
      {
        retries: 4,
        minTimeout: 100,
        factor: 2,
        maxTimeout: 1000,
        randomize: false,
        shouldRetry: ({ error }) => isLinkError(error) && left() > 100,
        onFailedAttempt: ({ error, attemptNumber }) => log.debug(`adb ${this.board}: ${what}: attempt ${attemptNumber} failed: ${error.message}`),
      },
    ).catch((e: unknown) => {
      throw asInfra(this.board, `${what} via adb server ${this.client.host}:${this.client.port}`, e);
    });
  }

  /** Open a device service; the OPEN itself is never retried, since the board may already have acted on it. */
  private async openService(service: string, what: string, budgetMs: number): Promise<Duplex> {
    const start = performance.now();
    const conn = await this.linkStep(what, budgetMs, (ms) =>
      withDeadline(this.device.transport(), ms, 'host:transport', (c: AdbConnection) => c.end()),
    );
    try {
      return await withDeadline(openServiceOn(conn, service), Math.max(1, budgetMs - (performance.now() - start)), `open ${service.slice(0, 40)}`, (s) =>
        s.destroy(),
      );
    } catch (e) {
      conn.end();
      throw asInfra(this.board, `${what}: the board did not open ${JSON.stringify(service.split(':')[0] + ':')}`, e);
    }
  }

  private transferError(what: 'push' | 'pull', remotePath: string, e: unknown) {
    if (isLinkError(e)) return asInfra(this.board, `${what} ${remotePath}: link failed`, e);
    // the board answered but refused (no such file, read-only, permission): still not a verdict on the board
    return infra(`adb ${this.board}: ${what} ${remotePath} refused by the board: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}
