// Logs go to stderr so that command output on stdout stays machine-readable; secrets are redacted first.
import { redact } from './redact.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;
const threshold = (): number => LEVELS[(process.env.EDGECERT_LOG as Level) ?? 'info'] ?? LEVELS.info;

function emit(level: Level, msg: string): void {
  if (LEVELS[level] < threshold()) return;
  process.stderr.write(`[edgecert ${new Date().toISOString().slice(11, 23)} ${level}] ${redact(msg)}\n`);
}

export const log = {
  debug: (m: string) => emit('debug', m),
  info: (m: string) => emit('info', m),
  warn: (m: string) => emit('warn', m),
  error: (m: string) => emit('error', m),
};
