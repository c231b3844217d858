// The guest reports its boot on the serial console (EDGECERT-* lines); the host reads them from the log file.
import { existsSync, readFileSync } from 'node:fs';

export interface BootReport {
  /** stage name -> guest uptime (s) when reached */
  stages: Record<string, number>;
  /** key=value pairs of the EDGECERT-READY line, once printed */
  ready?: Record<string, string>;
  /** `uname -r` and `uname -v` of the running kernel */
  kernel?: { release: string; build: string };
  fatal?: string;
  lastLine: string;
}

export function readSerial(file: string): string {
  return existsSync(file) ? readFileSync(file, 'latin1') : '';
}

export function serialTail(file: string, lines = 60): string {
  return readSerial(file).replace(/\r/g, '').split('\n').slice(-lines).join('\n');
}

export function parseBoot(text: string): BootReport {
  const lines = text.replace(/\r/g, '').split('\n');
  const r: BootReport = { stages: {}, lastLine: lines.filter((l) => l.trim()).at(-1) ?? '' };
  for (const l of lines) {
    let m = /^EDGECERT-STAGE (\S+) ([\d.]+)/.exec(l);
    if (m) r.stages[m[1]!] = Number(m[2]);
    m = /^EDGECERT-READY (.*)$/.exec(l);
    if (m) r.ready = Object.fromEntries(m[1]!.trim().split(/\s+/).map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')]));
    m = /^EDGECERT-KERNEL (\S+) (.*)$/.exec(l);
    if (m) r.kernel = { release: m[1]!, build: m[2]!.trim() };
    m = /^EDGECERT-FATAL (.*)$/.exec(l);
    if (m) r.fatal = m[1];
  }
  return r;
}
