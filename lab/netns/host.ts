// Host commands of the netns lab: a failing host tool is the lab's fault (INFRA), with its stderr as evidence.
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { infra, usage } from '../../harness/core/errors.ts';
import { log } from '../../harness/core/log.ts';
import { shJoin } from '../../harness/core/quote.ts';

export interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Run a host command; never throws for a non-zero exit (callers that require success use `must`). */
export async function sh(file: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<Ran> {
  const r = await execa(file, args, { reject: false, timeout: opts.timeoutMs ?? 60_000, input: opts.input ?? '', stripFinalNewline: false });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export async function must(file: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const cmd = shJoin([file, ...args]);
  log.debug(`host: ${cmd}`);
  const r = await sh(file, args, opts);
  if (r.exitCode !== 0) {
    throw infra(`host command exited ${r.exitCode}: ${cmd}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`, {
      evidence: { command: cmd, stderr: r.stderr.slice(-4000), stdout: r.stdout.slice(-2000) },
    });
  }
  return r.stdout;
}

/** Host binaries the netns lab runs, and the Debian package that provides each. */
const HOST_TOOLS: [path: string, pkg: string][] = [
  ['/usr/sbin/ip', 'iproute2'],
  ['/usr/sbin/iptables', 'iptables'],
  ['/usr/bin/nsenter', 'util-linux'],
  ['/usr/bin/tini', 'tini'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/sbin/dockerd', 'docker.io'],
  ['/usr/bin/docker', 'docker.io'],
  ['/usr/bin/containerd', 'containerd'],
  ['/usr/sbin/runc', 'runc'],
  ['/usr/sbin/sshd', 'openssh-server'],
  ['/usr/bin/ssh-keygen', 'openssh-client'],
  ['/usr/bin/adb', 'adb'],
  ['/bin/busybox', 'busybox-static'],
  ['/usr/sbin/mkfs.ext4', 'e2fsprogs'],
  ['/usr/bin/readelf', 'binutils'],
  // the defects' ioctl/bpf helpers (lab/scripts/board/*.py)
  ['/usr/bin/python3', 'python3'],
];

/** The lab creates namespaces, mounts and iptables rules: it needs root and its host packages. */
export function requireHost(needs: { adb?: boolean } = {}): void {
  if (process.getuid?.() !== 0) {
    throw usage('the virtual lab must run as root (it creates network namespaces, mounts and iptables rules); run it with sudo');
  }
  const missing = HOST_TOOLS.filter(([p, pkg]) => (pkg !== 'adb' || needs.adb) && !existsSync(p));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
    throw usage(
      `the virtual lab needs ${missing.map(([p]) => p).join(', ')}: install with \`scripts/setup-host.sh\` (or apt-get install ${pkgs})`,
    );
  }
  if (!existsSync('/sys/fs/cgroup/pids/cgroup.procs') || !existsSync('/sys/fs/cgroup/memory/cgroup.procs')) {
    throw usage('the netns lab needs cgroup v1 controllers mounted under /sys/fs/cgroup (pids, memory, freezer, cpuset)');
  }
}

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie is not alive for our purposes
  const stat = readText(`/proc/${pid}/stat`);
  return !!stat && !/^\d+ \(.*\) Z /.test(stat);
}

/** Command line of a live process, NUL-separated arguments joined with spaces. */
export function cmdline(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
