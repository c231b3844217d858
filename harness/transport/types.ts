import type { CommandResult, TransportKind } from '../core/result.ts';

export interface ExecOptions {
  /** ms; on expiry the command is abandoned, `timedOut` is true and `exitCode` null. */
  timeout?: number;
  /** Text written to the command's stdin. */
  stdin?: string;
}

/** A local endpoint forwarding to something on the board; `close()` stops forwarding. */
export interface Forward {
  /** e.g. a local TCP port (host 127.0.0.1) or a local unix socket path. */
  local: { port: number } | { socketPath: string };
  remote: { port: number } | { socketPath: string };
  close(): Promise<void>;
}

/**
 * How the harness reaches one board. A transport knows nothing of checks.
 * Errors of the link itself (offline, connection lost, forward failed) throw EdgecertError('INFRA').
 * A command that runs and exits non-zero is NOT an error: it is a CommandResult.
 */
export interface Transport {
  readonly kind: TransportKind;
  readonly board: string;
  exec(command: string, opts?: ExecOptions): Promise<CommandResult>;
  push(localPath: string, remotePath: string, opts?: { mode?: number; timeout?: number }): Promise<void>;
  pull(remotePath: string, localPath: string, opts?: { timeout?: number }): Promise<void>;
  forward(remote: { port: number } | { socketPath: string }, opts?: { timeout?: number }): Promise<Forward>;
  reboot(opts?: { timeout?: number }): Promise<void>;
  waitOnline(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Marker used by transports without native exit codes (adb legacy shell, hdc): `(cmd) ; echo <MARK>$?`. */
export const EXIT_MARK_PREFIX = '__EDGECERT_EXIT_';
