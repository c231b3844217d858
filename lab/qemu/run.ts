// Host tools (apt, dpkg, readelf, mkfs, qemu-img) fail as INFRA with their stderr as evidence, never as a board FAIL.
import { execa } from 'execa';
import { infra } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { shJoin } from '../../harness/core/quote.ts';

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  /** a non-zero exit that is an answer, not a failure (apt-cache exits 100 when it knows none of the names) */
  acceptExit?: (exitCode: number, stderr: string) => boolean;
}

/** Run a host command to completion; return stdout, throw INFRA (with stderr tail) on non-zero exit. */
export async function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const cmd = shJoin([file, ...args]);
  log.debug(`host: ${cmd.length > 300 ? `${cmd.slice(0, 300)}…` : cmd}`);
  const r = await execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input,
    timeout: opts.timeoutMs ?? 600_000,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ok = r.exitCode === 0 || (r.exitCode !== undefined && !!opts.acceptExit?.(r.exitCode, String(r.stderr ?? '')));
  if (!ok || r.timedOut) {
    const stderr = String(r.stderr ?? '');
    const why = r.timedOut ? 'timed out' : r.exitCode === undefined ? `failed: ${r.shortMessage}` : `exited ${r.exitCode}`;
    throw infra(`host command ${why}: ${cmd.slice(0, 200)}`, {
      evidence: { command: cmd, stderr: stderr.slice(-4000), stdout: String(r.stdout ?? '').slice(-2000) },
    });
  }
  return String(r.stdout ?? '');
}
