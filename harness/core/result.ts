/** The one result type for every command run on a board, whatever the transport. */
export interface CommandResult {
  command: string;
  /** null when the transport could not learn it (timed out, or killed). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  board: string;
  transport: TransportKind;
}

export type TransportKind = 'adb' | 'hdc' | 'ssh' | 'local';

export function ok(r: CommandResult): boolean {
  return r.exitCode === 0 && !r.timedOut;
}

/** A compact, human-readable rendering used as evidence in reports. */
export function renderResult(r: CommandResult): string {
  const status = r.timedOut ? `timed out after ${r.durationMs} ms` : `exit ${r.exitCode} in ${r.durationMs} ms`;
  const lines = [`$ ${r.command}`, `# ${r.transport}:${r.board} ${status}`];
  if (r.stdout) lines.push(r.stdout.replace(/\n$/, ''));
  if (r.stderr) lines.push(`[stderr]`, r.stderr.replace(/\n$/, ''));
  return lines.join('\n');
}
