import { createServer } from 'node:net';
import { execa } from 'execa';
import { boardFail, infra } from '../core/errors.ts';
import { shQuote } from '../core/quote.ts';
import type { CommandResult } from '../core/result.ts';
import { waitFor } from '../core/wait.ts';
import { parseMarkedOutput, wrapCommand } from './exit-marker.ts';
import type { ExecOptions, Forward, Transport } from './types.ts';
import type { TransportSpec } from '../inventory/schema.ts';

type HdcSpec = Extract<TransportSpec, { type: 'hdc' }>;
const FAIL = /^\[Fail\]/m;

// OpenHarmony boards are reached through the hdc CLI; its shell merges stderr and drops the exit status.
export class HdcTransport implements Transport {
  readonly kind = 'hdc' as const;
  private readonly bin: string;
  private connected = false;

  constructor(
    private readonly spec: HdcSpec,
    readonly board: string,
  ) {
    this.bin = spec.hdcPath ?? 'hdc';
  }

  private async hdc(args: string[], timeout?: number) {
    try {
      return await execa(this.bin, args, { reject: false, timeout, stripFinalNewline: false, killSignal: 'SIGKILL', input: '' });
    } catch (cause) {
      throw infra(`board ${this.board}: cannot run hdc (${this.bin}): ${(cause as Error).message}`, { cause });
    }
  }

  /** Network connect keys (ip:port) need `hdc tconn` once; USB keys are listed by the server as-is. */
  private async ensureConnected(): Promise<void> {
    if (this.connected) return;
    if (/^[\d.]+:\d+$/.test(this.spec.connectKey)) {
      const r = await this.hdc(['tconn', this.spec.connectKey], 15_000);
      if (r.exitCode !== 0 || FAIL.test(String(r.stdout))) {
        throw infra(`board ${this.board}: hdc tconn ${this.spec.connectKey} failed: ${String(r.stdout).trim() || String(r.stderr).trim()}`);
      }
    }
    this.connected = true;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<CommandResult> {
    await this.ensureConnected();
    const start = performance.now();
    const { script, marker } = wrapCommand(command, opts.stdin);
    const r = await this.hdc(['-t', this.spec.connectKey, 'shell', script], opts.timeout);
    const durationMs = Math.round(performance.now() - start);
    const merged = String(r.stdout ?? '');
    const parsed = parseMarkedOutput(Buffer.from(merged, 'utf8'), marker);
    const stdout = parsed.stdout.toString('utf8');
    const exitCode = parsed.exitCode;
    if (!r.timedOut && exitCode === null) {
      this.connected = false;
      throw infra(`board ${this.board}: hdc shell returned no exit status (link lost?): ${merged.slice(0, 500).trim()}${String(r.stderr ?? '').trim()}`);
    }
    return { command, exitCode: r.timedOut ? null : exitCode, stdout, stderr: '', durationMs, timedOut: Boolean(r.timedOut), board: this.board, transport: this.kind };
  }

  private async fileCmd(args: string[], what: string, timeout = 120_000): Promise<void> {
    await this.ensureConnected();
    const r = await this.hdc(['-t', this.spec.connectKey, 'file', ...args], timeout);
    const out = `${String(r.stdout)}${String(r.stderr)}`;
    if (r.timedOut) throw infra(`board ${this.board}: hdc file ${what} timed out after ${timeout} ms`);
    if (r.exitCode !== 0 || FAIL.test(out)) throw boardFail(`board ${this.board}: hdc file ${what} failed: ${out.trim()}`);
  }

  async push(localPath: string, remotePath: string, opts: { mode?: number; timeout?: number } = {}): Promise<void> {
    await this.fileCmd(['send', localPath, remotePath], 'send', opts.timeout);
    if (opts.mode !== undefined) {
      await this.exec(`chmod ${(opts.mode & 0o7777).toString(8)} ${shQuote(remotePath)}`, { timeout: 10_000 });
    }
  }

  pull(remotePath: string, localPath: string, opts: { timeout?: number } = {}): Promise<void> {
    return this.fileCmd(['recv', remotePath, localPath], 'recv', opts.timeout);
  }

  async forward(remote: { port: number } | { socketPath: string }): Promise<Forward> {
    await this.ensureConnected();
    // hdc needs a concrete local port: borrow a free one from the kernel, then hand it to hdc.
    const port = await new Promise<number>((res, rej) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => (a && typeof a !== 'string' ? res(a.port) : rej(new Error('no port'))));
      });
    });
    const local = `tcp:${port}`;
    const target = 'port' in remote ? `tcp:${remote.port}` : `localfilesystem:${remote.socketPath}`;
    const r = await this.hdc(['-t', this.spec.connectKey, 'fport', local, target], 15_000);
    const out = String(r.stdout);
    if (r.exitCode !== 0 || FAIL.test(out)) throw infra(`board ${this.board}: hdc fport ${local} ${target} failed: ${out.trim()}`);
    return {
      local: { port },
      remote,
      close: async () => {
        await this.hdc(['-t', this.spec.connectKey, 'fport', 'rm', local, target], 15_000);
      },
    };
  }

  async reboot(opts: { timeout?: number } = {}): Promise<void> {
    await this.hdc(['-t', this.spec.connectKey, 'target', 'boot'], 15_000);
    this.connected = false;
    await new Promise((r) => setTimeout(r, 2_000));
    await this.waitOnline(opts.timeout ?? 120_000);
  }

  async waitOnline(timeoutMs: number): Promise<void> {
    await waitFor(`hdc target ${this.spec.connectKey} online`, timeoutMs, async () => {
      const r = await this.exec('true', { timeout: 5_000 });
      return { done: r.exitCode === 0, state: r.exitCode };
    });
  }

  async close(): Promise<void> {}
}
