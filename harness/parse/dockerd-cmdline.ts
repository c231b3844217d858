// Which dockerd serves the board's socket, and where it creates container cgroups (its cgroup parent).
import { mark, parseSections, sectionScript } from '../board/sections.ts';

/**
 * Lists every dockerd's pid, mount namespace and argv (one arg a line); pidof first, a /proc walk where there is none.
 * Boards sharing a pid namespace (the virtual lab's netns boards) see each other's dockerd on the same socket path:
 * only one in the shell's own mount namespace serves this board.
 */
export const DOCKERD_PROCS_COMMAND = sectionScript([
  mark('selfmnt', '$(readlink /proc/self/ns/mnt 2>/dev/null)'),
  'pids=$(pidof dockerd 2>/dev/null)',
  '[ -n "$pids" ] || for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = dockerd ] && pids="$pids ${d#/proc/}"; done',
  `for p in $pids; do ${mark('pid', '$p $(readlink /proc/$p/ns/mnt 2>/dev/null)')}; tr "\\000" "\\n" <"/proc/$p/cmdline"; echo; done`,
]);

export interface DockerdProc {
  pid: number;
  /** mnt:[4026531841], or "" when unreadable */
  mntNs: string;
  argv: string[];
}

/** dockerd processes of the shell's own mount namespace (all of them when namespaces cannot be read). */
export function parseDockerdProcs(stdout: string): DockerdProc[] {
  const { list } = parseSections(stdout);
  const self = list.find((s) => s.name === 'selfmnt')?.args[0] ?? '';
  const procs: DockerdProc[] = list
    .filter((s) => s.name === 'pid' && /^\d+$/.test(s.args[0] ?? ''))
    .map((s) => ({ pid: Number(s.args[0]), mntNs: s.args[1] ?? '', argv: s.lines.filter((l) => l !== '') }));
  return self ? procs.filter((p) => !p.mntNs || p.mntNs === self) : procs;
}

/** Values of a flag in `--flag v`, `--flag=v` or `-f v` form. */
export function flagValues(argv: readonly string[], ...names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && i + 1 < argv.length) out.push(argv[i + 1]!);
      else if (a.startsWith(`${n}=`)) out.push(a.slice(n.length + 1));
    }
  }
  return out;
}

const samePath = (a: string, b: string) => a.replace(/^\/var\/run\//, '/run/') === b.replace(/^\/var\/run\//, '/run/');

/** The dockerd listening on `socket` (`-H unix://...`); with no -H dockerd listens on /var/run/docker.sock. */
export function dockerdForSocket(procs: readonly DockerdProc[], socket: string): DockerdProc | undefined {
  return procs.find((p) => {
    const hosts = flagValues(p.argv, '-H', '--host');
    if (!hosts.length) return samePath(socket, '/var/run/docker.sock');
    return hosts.some((h) => h.startsWith('unix://') && samePath(h.slice('unix://'.length), socket));
  });
}

/** The cgroup parent dockerd uses: its flag, else daemon.json's `cgroup-parent`, else docker's default for the driver. */
export function cgroupParent(argv: readonly string[], daemonJson: string | undefined): { parent: string; source: string } {
  const flag = flagValues(argv, '--cgroup-parent').at(-1);
  if (flag) return { parent: flag, source: 'dockerd --cgroup-parent' };
  let cfg: Record<string, unknown> = {};
  try {
    const parsed: unknown = daemonJson ? JSON.parse(daemonJson) : {};
    if (parsed && typeof parsed === 'object') cfg = parsed as Record<string, unknown>;
  } catch {
    // an unreadable daemon.json would stop dockerd itself; here it only means "no setting known"
  }
  if (typeof cfg['cgroup-parent'] === 'string' && cfg['cgroup-parent']) return { parent: cfg['cgroup-parent'], source: 'daemon.json cgroup-parent' };
  const systemd = [...flagValues(argv, '--exec-opt'), ...((cfg['exec-opts'] as string[] | undefined) ?? [])].some((o) => o === 'native.cgroupdriver=systemd');
  return systemd ? { parent: '/system.slice', source: 'docker default (systemd driver)' } : { parent: '/docker', source: 'docker default (cgroupfs driver)' };
}

/** dockerd's --config-file, else the default path. */
export function daemonJsonPath(argv: readonly string[]): string {
  return flagValues(argv, '--config-file').at(-1) ?? '/etc/docker/daemon.json';
}
