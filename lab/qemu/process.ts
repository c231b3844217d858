// A board's qemu is found by pid file, and confirmed by its command line, so a recycled pid is never killed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { infra } from '../../harness/core/errors.ts';
import { waitFor } from '../../harness/core/wait.ts';
import { qemuMarker } from './qemu-args.ts';

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

export function isBoardQemu(pid: number, boardId: string): boolean {
  const argv = cmdline(pid);
  return !!argv[0]?.endsWith('qemu-system-aarch64') && argv.includes(`guest=${qemuMarker(boardId)}`);
}

/** The pid of the board's running qemu: from the pid file, else by scanning /proc for its marker (pid file lost). */
export function findBoardQemu(boardId: string, pidFile: string): number | undefined {
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && isBoardQemu(pid, boardId)) return pid;
  }
  for (const e of readdirSync('/proc')) {
    if (/^\d+$/.test(e) && isBoardQemu(Number(e), boardId)) return Number(e);
  }
  return undefined;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a dead child not yet reaped by its parent is still "alive" to kill(0)
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function rssKb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM (qemu powers the guest off at once), then SIGKILL; resolves when the process is gone. */
export async function stopProcess(pid: number, what: string, graceMs: number): Promise<void> {
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  send('SIGTERM');
  try {
    await waitFor(`${what} (pid ${pid}) to exit after SIGTERM`, graceMs, async () => ({ done: !alive(pid), state: { pid } }), {
      intervalMs: 100,
    });
    return;
  } catch {
    send('SIGKILL');
  }
  await waitFor(`${what} (pid ${pid}) to exit after SIGKILL`, 5000, async () => ({ done: !alive(pid), state: { pid } }), {
    intervalMs: 100,
  }).catch((cause) => {
    throw infra(`${what} (pid ${pid}) survived SIGKILL`, { cause });
  });
}
