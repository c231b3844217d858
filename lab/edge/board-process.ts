// Running the stand-ins INSIDE a netns board: enter the namespaces its init holds (mount, net, uts) with nsenter,
// join the board's cgroups (so `lab down` and a board reboot end them with the rest of the board), and keep each
// stand-in under a tiny restart loop, as systemd's Restart=always keeps edgecore up on a real board.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { infra } from '../../harness/core/errors.ts';
import { cmdline, pidAlive, readText, sleep } from '../netns/host.ts';
import { BOARD_INIT, boardPaths, cgroupName } from '../netns/paths.ts';
import { edgePaths } from './paths.ts';

// $1 name, $2 board cgroup, $3 child pid file, rest: the command. TERM stops the child, then the loop.
const SUPERVISOR = `
name=$1 cg=$2 childfile=$3; shift 3
for c in pids memory freezer; do d=/sys/fs/cgroup/$c/$cg/board; [ -d "$d" ] && echo $$ >"$d/cgroup.procs"; done
child=
trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; rm -f "$childfile"; exit 0' TERM INT
while :; do
  "$@" &
  child=$!
  echo "$child" >"$childfile"
  wait "$child"
  echo "$(date -Is) supervisor: $name exited $?, restarting in 1 s"
  sleep 1 & wait $!
done
`;

// the board's own tools first where a defect hid them from its shells, as its dockerd does
const BOARD_PATH = '/.edgecert/stash:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The pid of the board's init, which holds its mount/uts namespaces (and sits in its netns). */
export function boardInitPid(stateDir: string, boardId: string): number {
  const p = boardPaths(stateDir, boardId);
  const pid = Number(/^init=(\d+)$/m.exec(readText(p.status) ?? '')?.[1]);
  if (!pidAlive(pid) || !cmdline(pid).includes(BOARD_INIT)) throw infra(`board ${boardId} is not running (no live init in ${p.status}): bring it up with \`edgecert lab up\` first`);
  return pid;
}

/** Write a file at a path inside the board (through the init's root, i.e. into the board's own mount namespace). */
export function writeBoardFile(initPid: number, path: string, content: string | Buffer, mode: number): void {
  const target = `/proc/${initPid}/root${path}`;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content, { mode });
  chmodSync(target, mode);
}

export function readBoardFile(initPid: number, path: string): string | undefined {
  return readText(`/proc/${initPid}/root${path}`);
}

export interface Supervised {
  supervisor?: number;
  child?: number;
}

export function supervisedState(stateDir: string, boardId: string, name: string): Supervised {
  const p = edgePaths(stateDir, boardId);
  const sup = Number(readText(p.pid(name))?.trim());
  const child = Number(readText(p.childPid(name))?.trim());
  return {
    supervisor: pidAlive(sup) && cmdline(sup).includes('supervisor:') ? sup : undefined,
    child: pidAlive(child) ? child : undefined,
  };
}

/** Start `argv` inside the board under the restart loop; its output goes to edge/<name>.log in the board state dir. */
export function startSupervised(stateDir: string, boardId: string, initPid: number, name: string, argv: string[]): number {
  const p = edgePaths(stateDir, boardId);
  mkdirSync(p.dir, { recursive: true });
  rmSync(p.childPid(name), { force: true });
  const out = openSync(p.log(name), 'a');
  const child = spawn('nsenter', ['-t', String(initPid), '-m', '-n', '-u', '-r', '-w', '--', 'bash', '-c', SUPERVISOR, 'edgecert-supervisor', name, cgroupName(boardId), p.childPid(name), ...argv], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { PATH: BOARD_PATH, HOME: '/root', LANG: 'C.UTF-8', UV_THREADPOOL_SIZE: '1' },
    cwd: '/',
  });
  closeSync(out);
  child.unref();
  if (!child.pid) throw infra(`board ${boardId}: cannot start ${name}`);
  writeFileSync(p.pid(name), `${child.pid}\n`);
  return child.pid;
}

/** TERM the restart loop (it TERMs its child), then KILL whatever is left. */
export async function stopSupervised(stateDir: string, boardId: string, name: string, graceMs = 8_000): Promise<void> {
  const p = edgePaths(stateDir, boardId);
  const s = supervisedState(stateDir, boardId, name);
  if (s.supervisor) process.kill(s.supervisor, 'SIGTERM');
  else if (s.child) process.kill(s.child, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  while ((pidAlive(s.supervisor) || pidAlive(s.child)) && performance.now() < deadline) await sleep(100);
  for (const pid of [s.supervisor, s.child]) {
    if (pidAlive(pid)) {
      try {
        process.kill(pid!, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  rmSync(p.pid(name), { force: true });
  rmSync(p.childPid(name), { force: true });
}

export function rssKb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const m = /VmRSS:\s+(\d+)/.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : undefined;
}

export function readFingerprint(stateDir: string, boardId: string): string | undefined {
  return readText(edgePaths(stateDir, boardId).fingerprint)?.trim();
}

export function writeFingerprint(stateDir: string, boardId: string, fp: string): void {
  mkdirSync(edgePaths(stateDir, boardId).dir, { recursive: true });
  writeFileSync(edgePaths(stateDir, boardId).fingerprint, `${fp}\n`);
}

export function readJsonFile<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
