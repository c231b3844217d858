import { randomBytes } from 'node:crypto';
import { EXIT_MARK_PREFIX } from './types.ts';

// Transports whose shell loses the exit status (adb legacy shell, hdc) print it after a unique marker.
export function wrapWithExitMarker(command: string): { wrapped: string; marker: string } {
  const marker = `${EXIT_MARK_PREFIX}${randomBytes(6).toString('hex')}_`;
  // printf starts the marker on its own line even when the command's output lacks a trailing newline.
  return { wrapped: `(${command}\n) ; printf '\\n%s%s\\n' ${marker} "$?"`, marker };
}

/** Split the merged output into the command's own output and its exit status (null when the marker never came). */
export function parseExitMarker(output: string, marker: string): { stdout: string; exitCode: number | null } {
  const normalized = output.replace(/\r\n/g, '\n');
  const at = normalized.lastIndexOf(`\n${marker}`);
  if (at < 0) return { stdout: normalized, exitCode: null };
  const m = /^(\d+)/.exec(normalized.slice(at + 1 + marker.length));
  return { stdout: normalized.slice(0, at), exitCode: m ? Number(m[1]) : null };
}
