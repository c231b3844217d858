// Lifecycle of one netns board: network namespace + veth on the lab bridge, then the board init
// (lab/scripts/board-init.sh) in its own mount/UTS namespaces, which runs dockerd and the access daemon.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { infra } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import type { LabBoard } from '../spec.ts';
import { hasDefect, type DefectSpec } from '../defects.ts';
import { renderBoardConfig, type BoardAccess, type LabImage } from './board-config.ts';
import { cgroupPids, destroyCgroup } from './cgroups.ts';
import { portOpen } from './endpoint.ts';
import { cmdline, must, pidAlive, readText, sh, sleep } from './host.ts';
import { ensureKeyPair } from './keys.ts';
import { BOARD_INIT, BRIDGE, boardPaths, cgroupName, netnsName, vethName } from './paths.ts';

/** Timeouts of the netns board (ms), in one place. */
export const NETNS_TIMEOUTS = {
  /** spawn of the init to `state=ready` (dockerd start + image load + access daemon) */
  boot: 120_000,
  /** SIGTERM of the init to its exit (dockerd stops its containers with --shutdown-timeout 3) */
  stop: 25_000,
  /** repair (SIGUSR1) to `state=ready` again */
  repair: 60_000,
} as const;

const DATA_ROOT_SIZE = '2G';

export interface NetnsBoardContext {
  stateDir: string;
  defects: DefectSpec[];
  image: LabImage;
  /** public key line allowed to log in (ssh boards) */
  authorizedKey?: string;
}

export interface NetnsBoardStatus {
  id: string;
  /** up: every part answers; degraded: the init runs but a part is missing; down: nothing runs */
  state: 'up' | 'degraded' | 'down' | 'failed';
  address?: string;
  netns: boolean;
  veth: boolean;
  init?: number;
  initState?: string;
  boot?: number;
  dockerd: { pid?: number; state: string };
  access: { kind: string; pid?: number; listening: boolean };
  /** resident memory in KiB of the board's processes (containers excluded) */
  rssKb?: { total: number; dockerd: number; access: number };
  problems: string[];
  reason?: string;
}

export interface NetnsBoardUpResult {
  id: string;
  action: 'started' | 'kept' | 'repaired';
  ms: number;
  /** `ssh-ed25519 AAAA...` of an ssh board */
  hostKeyLine?: string;
  status: NetnsBoardStatus;
}

function parseStatus(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function liveInit(stateDir: string, id: string): number | undefined {
  const p = boardPaths(stateDir, id);
  const pid = Number(parseStatus(readText(p.status)).init);
  return pidAlive(pid) && cmdline(pid).includes(BOARD_INIT) && cmdline(pid).includes(p.dir) ? pid : undefined;
}

function rssKb(pid: number | undefined): number {
  if (!pid) return 0;
  const m = /VmRSS:\s+(\d+)/.exec(readText(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) : 0;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const t of safeReaddir(`/proc/${pid}/task`)) {
    for (const c of (readText(`/proc/${pid}/task/${t}/children`) ?? '').trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** dockerd plus the containerd it started (shims and containers are the workload, not the board's cost). */
function dockerdRss(pid: number | undefined): number {
  if (!pid || !pidAlive(pid)) return 0;
  return rssKb(pid) + childrenOf(pid).filter((c) => cmdline(c).startsWith('containerd ')).reduce((s, c) => s + rssKb(c), 0);
}

export async function netnsBoardStatus(board: LabBoard, stateDir: string, access?: BoardAccess): Promise<NetnsBoardStatus> {
  const p = boardPaths(stateDir, board.id);
  const address = board.virtual?.address;
  const st = parseStatus(readText(p.status));
  const init = liveInit(stateDir, board.id);
  const netns = existsSync(`/run/netns/${netnsName(board.id)}`);
  const veth = address ? (await sh('ip', ['-o', 'link', 'show', 'dev', vethName(address), 'master', BRIDGE.name])).stdout.includes(vethName(address)) : false;
  const dockerdPid = Number(st.dockerd) || undefined;
  const accessPid = Number(st.access) || undefined;
  const kind = access?.kind ?? st.access_kind ?? 'unknown';
  const listening = !!(init && address && access && access.kind !== 'none' ? await portOpen(address, access.port) : access?.kind === 'none');
  const dockerdState = init ? (pidAlive(dockerdPid) ? (st.dockerd_state ?? 'running') : st.dockerd_state === 'stopped' || st.dockerd_state === 'refused' ? st.dockerd_state : 'not running') : 'not running';
  const problems: string[] = [];
  if (init) {
    if (!netns) problems.push(`netns ${netnsName(board.id)} missing`);
    if (!veth) problems.push(`veth ${address ? vethName(address) : '?'} not on ${BRIDGE.name}`);
    if (!listening) problems.push(`${kind} daemon not answering on ${address}:${access?.port}`);
    if (dockerdState === 'not running' || dockerdState === 'failed' || dockerdState === 'exited') problems.push(`dockerd ${dockerdState}`);
    if (st.state !== 'ready') problems.push(`init state ${st.state ?? 'unknown'}`);
  }
  const state: NetnsBoardStatus['state'] = init ? (problems.length ? 'degraded' : 'up') : st.state === 'failed' ? 'failed' : 'down';
  return {
    id: board.id,
    state,
    address,
    netns,
    veth,
    init,
    initState: st.state,
    boot: st.boot ? Number(st.boot) : undefined,
    dockerd: { pid: pidAlive(dockerdPid) ? dockerdPid : undefined, state: dockerdState },
    access: { kind, pid: pidAlive(accessPid) ? accessPid : undefined, listening },
    rssKb: init
      ? {
          total: cgroupPids(cgroupName(board.id)).filter((pid) => cgroupOf(pid).includes('/board')).reduce((s, pid) => s + rssKb(pid), 0),
          dockerd: dockerdRss(dockerdPid),
          access: rssKb(pidAlive(accessPid) ? accessPid : undefined),
        }
      : undefined,
    problems,
    reason: st.reason,
  };
}

function cgroupOf(pid: number): string {
  return readText(`/proc/${pid}/cgroup`) ?? '';
}

/** Defects under which a missing dockerd is the intended state, not a part to repair (cgroups_unmounted: it refuses to start). */
const NO_DOCKERD = ['dockerd_stopped', 'cgroups_unmounted'] as const;

function problemsToRepair(s: NetnsBoardStatus, defects: DefectSpec[]): string[] {
  return s.problems.filter((p) => !(p.startsWith('dockerd') && NO_DOCKERD.some((d) => hasDefect(defects, d))));
}

/** Bring one netns board up; keep it when it already runs with the same config, repair what is missing. */
export async function netnsBoardUp(board: LabBoard, ctx: NetnsBoardContext): Promise<NetnsBoardUpResult> {
  const t0 = performance.now();
  const p = boardPaths(ctx.stateDir, board.id);
  const hostKeyLine = board.transport.type === 'ssh' ? await ensureKeyPair(p.hostKey, `${board.id} host key`) : undefined;
  const rendered = renderBoardConfig(board, ctx.defects, ctx.image, ctx.authorizedKey, ctx.stateDir);
  const fingerprintFile = `${p.dir}/running.fingerprint`;
  const done = (action: NetnsBoardUpResult['action'], status: NetnsBoardStatus): NetnsBoardUpResult => ({
    id: board.id,
    action,
    ms: Math.round(performance.now() - t0),
    hostKeyLine,
    status,
  });

  const before = await netnsBoardStatus(board, ctx.stateDir, rendered.access);
  if (before.init && readText(fingerprintFile)?.trim() === rendered.fingerprint) {
    if (!problemsToRepair(before, ctx.defects).length) return done('kept', before);
    log.info(`board ${board.id}: repairing (${before.problems.join('; ')})`);
    if (before.netns && before.veth) {
      process.kill(before.init, 'SIGUSR1');
      const after = await waitBoard(board, ctx, rendered.access, NETNS_TIMEOUTS.repair).catch(() => undefined);
      if (after) return done('repaired', after);
    }
    log.warn(`board ${board.id}: repair did not work, restarting it`);
  } else if (before.init) {
    log.info(`board ${board.id}: config changed since it started, restarting it`);
  }

  await netnsBoardDown(board.id, ctx.stateDir, board.virtual?.address);
  log.debug(`board ${board.id}: remnants cleared after ${Math.round(performance.now() - t0)} ms`);
  // a fresh data root per power-on: `lab up` after `lab down` starts from a known state
  await must('truncate', ['-s', DATA_ROOT_SIZE, p.dockerImg]);
  // data_root_fscrypt: the ext4 feature Android's file-based encryption needs on /data
  const features = hasDefect(ctx.defects, 'data_root_fscrypt') ? ['-O', 'encrypt'] : [];
  await must('mkfs.ext4', ['-q', '-F', '-m', '0', ...features, '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-L', `ec-${board.id}`.slice(0, 16), p.dockerImg]);
  await createNetns(board.id, rendered.address);
  spawnInit(board.id, ctx.stateDir);
  log.debug(`board ${board.id}: init started after ${Math.round(performance.now() - t0)} ms`);
  writeFileSync(fingerprintFile, `${rendered.fingerprint}\n`);
  const status = await waitBoard(board, ctx, rendered.access, NETNS_TIMEOUTS.boot);
  return done('started', status);
}

async function createNetns(id: string, address: string): Promise<void> {
  const ns = netnsName(id);
  const veth = vethName(address);
  await must('ip', ['netns', 'add', ns]);
  await must('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await must('ip', ['link', 'set', veth, 'master', BRIDGE.name, 'up']);
  await must('ip', ['-n', ns, 'addr', 'add', `${address}/${BRIDGE.prefix}`, 'dev', 'eth0']);
  // a re-created board has a new MAC: announce it, and drop the host's entry for the old one, or the
  // host's packets go to a dead MAC until its neighbour entry expires (~20 s)
  await must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.conf.eth0.arp_notify=1']);
  await sh('ip', ['neigh', 'flush', 'to', address, 'dev', BRIDGE.name]);
  await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await must('ip', ['-n', ns, 'route', 'add', 'default', 'via', BRIDGE.address]);
}

function spawnInit(id: string, stateDir: string): number {
  const p = boardPaths(stateDir, id);
  rmSync(p.status, { force: true });
  for (const f of [p.initLog, p.accessLog, p.dockerdLog]) writeFileSync(f, '');
  const out = openSync(p.initLog, 'a');
  // nsenter --net keeps the host's /sys (ip netns exec would remount it and hide /sys/fs/cgroup);
  // tini -s reaps the board's orphans (a killed dockerd's containerd), which the host's pid 1 may leave as zombies
  const child = spawn(
    'nsenter',
    [`--net=/run/netns/${netnsName(id)}`, '--', 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'tini', '-s', '--', 'bash', BOARD_INIT, p.dir],
    { detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  if (!child.pid) throw infra(`board ${id}: cannot start its init`);
  return child.pid;
}

async function waitBoard(board: LabBoard, ctx: NetnsBoardContext, access: BoardAccess, timeoutMs: number): Promise<NetnsBoardStatus> {
  const p = boardPaths(ctx.stateDir, board.id);
  const deadline = performance.now() + timeoutMs;
  let last: NetnsBoardStatus | undefined;
  let notes = 0;
  for (;;) {
    const st = parseStatus(readText(p.status));
    if (st.state === 'failed') break;
    if (st.state === 'ready') {
      last = await netnsBoardStatus(board, ctx.stateDir, access);
      if (!problemsToRepair(last, ctx.defects).length) return last;
      if (!last.init) break;
      if (++notes % 10 === 1) log.debug(`board ${board.id}: ready but ${last.problems.join('; ')}`);
    } else if (st.init && !pidAlive(Number(st.init))) break;
    if (performance.now() > deadline) break;
    await sleep(150);
  }
  last = await netnsBoardStatus(board, ctx.stateDir, access);
  const tail = (f: string) => (readText(f) ?? '').split('\n').slice(-25).join('\n');
  throw infra(`board ${board.id} did not come up: ${last.reason ?? (last.problems.join('; ') || `init ${last.initState ?? 'gone'}`)}`, {
    evidence: { 'init.log': tail(p.initLog), 'access.log': tail(p.accessLog), 'dockerd.log': tail(p.dockerdLog) },
  });
}

/** Take a netns board down: init first (graceful), then whatever is left in its cgroups, its netns, veth and loop. */
export async function netnsBoardDown(id: string, stateDir: string, address?: string): Promise<{ killed: number }> {
  const p = boardPaths(stateDir, id);
  const init = liveInit(stateDir, id);
  if (init) {
    process.kill(init, 'SIGTERM');
    const deadline = performance.now() + NETNS_TIMEOUTS.stop;
    while (pidAlive(init) && performance.now() < deadline) await sleep(100);
  }
  const { killed, left } = await destroyCgroup(cgroupName(id));
  const ns = netnsName(id);
  if (existsSync(`/run/netns/${ns}`)) {
    // anything that entered the netns without joining the board cgroups
    for (const pid of (await sh('ip', ['netns', 'pids', ns])).stdout.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await must('ip', ['netns', 'del', ns]);
  }
  if (address && (await sh('ip', ['link', 'show', 'dev', vethName(address)])).exitCode === 0) {
    await sh('ip', ['link', 'del', vethName(address)]);
  }
  await detachLoops(p.dockerImg);
  rmSync(p.rt, { recursive: true, force: true });
  for (const f of [p.dockerImg, `${p.dir}/running.fingerprint`]) rmSync(f, { force: true });
  if (left.length) throw infra(`board ${id}: processes ${left.join(' ')} survived SIGKILL`);
  return { killed };
}

/** Loop devices still backed by a file (the mount namespace is gone, so only a crash can leave one). */
export async function detachLoops(file: string): Promise<void> {
  if (!existsSync(file)) return;
  const r = await sh('losetup', ['--list', '--noheadings', '--output', 'NAME', '--associated', file]);
  for (const dev of r.stdout.split('\n').map((l) => l.trim()).filter(Boolean)) await sh('losetup', ['-d', dev]);
}
