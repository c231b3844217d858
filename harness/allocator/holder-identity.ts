// A lease names the process holding it, so a holder that died on this same host frees its board at once, not after the TTL.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface HolderId {
  /** hostname and boot id: a pid means nothing on another host or after a reboot */
  host: string;
  pid: number;
  /** /proc/<pid>/stat start time in clock ticks since boot: tells a reused pid from the holder */
  start: string;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'no-boot-id';
  }
}

/** EDGECERT_LEASE_HOST stands for another lab host in tests of several hosts sharing one state dir. */
export function thisHost(): string {
  return process.env.EDGECERT_LEASE_HOST || `${hostname()}#${bootId()}`;
}

/** Start time of a live process, undefined when there is none with that pid. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised command name, which may itself hold spaces and ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function selfHolder(): HolderId {
  return { host: thisHost(), pid: process.pid, start: processStart(process.pid) ?? '' };
}

/** True only when the holder ran on this host and that process is gone; a holder elsewhere is never judged here. */
export function holderGone(h: HolderId | undefined): boolean {
  if (!h || h.host !== thisHost()) return false;
  const start = processStart(h.pid);
  return start === undefined || start !== h.start;
}
