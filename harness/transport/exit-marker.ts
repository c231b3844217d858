import { randomBytes } from 'node:crypto';
import { usage } from '../core/errors.ts';
import { shQuote } from '../core/quote.ts';
import { EXIT_MARK_PREFIX } from './types.ts';

// Shells that lose the exit status (adb legacy shell, hdc) print it after a per-call marker; the parsing
// works on bytes so that stdout comes back exactly as the command wrote it (no CRLF or newline fix-ups).

/** adb's request length field is 4 hex digits: `shell:` plus the script must fit in 65535 bytes. */
export const MAX_SHELL_REQUEST = 0xffff;

export interface WrappedCommand {
  script: string;
  marker: string;
}

/**
 * `(command\n) </dev/null; echo MARK$?`; the newline keeps a trailing `# comment` from swallowing the `)`.
 * stdin is fed by the shell's own printf (a builtin: no argv limit beyond the request size).
 */
export function wrapCommand(command: string, stdin?: string): WrappedCommand {
  const marker = `${EXIT_MARK_PREFIX}${randomBytes(8).toString('hex')}_`;
  let input: string;
  try {
    input = stdin === undefined ? '' : `printf %s ${shQuote(stdin)} | `;
  } catch (e) {
    throw usage('stdin for a marker-wrapped command cannot contain NUL bytes (push a file instead)', { cause: e });
  }
  const redirect = stdin === undefined ? ' </dev/null' : '';
  const script = `${input}(${command}\n)${redirect}; echo ${marker}$?`;
  const size = Buffer.byteLength(`shell:${script}`);
  if (size > MAX_SHELL_REQUEST) {
    throw usage(`command plus stdin is ${size} bytes; shell requests are limited to ${MAX_SHELL_REQUEST} (push a file instead)`);
  }
  return { script, marker };
}

/** Split the merged output into the command's bytes and its status; exitCode null when the marker never came. */
export function parseMarkedOutput(output: Buffer, marker: string): { stdout: Buffer; exitCode: number | null } {
  const mark = Buffer.from(marker, 'latin1');
  const at = output.lastIndexOf(mark);
  if (at < 0) return { stdout: output, exitCode: null };
  const rest = output.subarray(at + mark.length);
  const m = /^(\d{1,3})\n/.exec(rest.subarray(0, 5).toString('latin1'));
  if (!m) return { stdout: output, exitCode: null };
  // anything after the marker line came from a background process that still held the output open
  const after = rest.subarray(m[0].length);
  return { stdout: after.length ? Buffer.concat([output.subarray(0, at), after]) : output.subarray(0, at), exitCode: Number(m[1]) };
}
