// Finds what a netns lab left on the host, by name, without trusting any state file (a `lab up` killed with
// SIGKILL writes none): netns `ec-*`, links `ecv*`/`ecbr0`, cgroups `edgecert-*`, loops under the lab dir, rules.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { labIptablesRules, removeBridge } from './bridge.ts';
import { labCgroups } from './cgroups.ts';
import { netnsBoardDown } from './board.ts';
import { stopEndpoint, endpointState } from './endpoint.ts';
import { cmdline, readText, sh } from './host.ts';
import { BRIDGE, CGROUP_PREFIX, NETNS_PREFIX, VETH_PREFIX, labDir, netnsName, vethName } from './paths.ts';

export async function labNetns(): Promise<string[]> {
  const r = await sh('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.split(/\s+/)[0]!)
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

export async function labLinks(): Promise<string[]> {
  const r = await sh('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && (n === BRIDGE.name || new RegExp(`^${VETH_PREFIX}\\d+$`).test(n)));
}

export async function labLoops(stateDir: string): Promise<string[]> {
  const r = await sh('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE']);
  const dir = labDir(stateDir);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, file]) => file?.startsWith(`${dir}/`))
    .map(([dev]) => dev!);
}

/** Board ids with a netns board state dir (a status file written by the board init). */
function stateBoards(stateDir: string): string[] {
  const dir = labDir(stateDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'board.env')))
    .map((e) => e.name);
}

/** What only the netns lab starts: board inits, dockerds, access daemons, hdc forwards, the endpoint. */
function processMarkers(stateDir: string): string[] {
  return [
    // file names, not paths: a lab started from another checkout (or an older layout) is swept too
    '/board-init.sh',
    `--cgroup-parent /${CGROUP_PREFIX}`,
    '/hdc/hdcd.mjs',
    '/hdc/forwarder.mjs',
    `adbd/main.ts --listen ${BRIDGE.address.replace(/\.1$/, '.')}`,
    `-f ${labDir(stateDir)}/`,
    `httpd -f -v -p ${BRIDGE.address}:`,
  ];
}

export function labProcesses(stateDir: string): string[] {
  const markers = processMarkers(stateDir);
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const cmd = Number(pid) === process.pid ? '' : cmdline(Number(pid));
    if (cmd && markers.some((m) => cmd.includes(m))) found.push(`${pid} ${cmd.slice(0, 160)}`);
  }
  return found;
}

/** Mounts of the host under the lab dir (a board's mounts live in its own namespace, so none is expected). */
export function labMounts(stateDir: string): string[] {
  return (readText('/proc/self/mountinfo') ?? '').split('\n').filter((l) => l.includes(`${labDir(stateDir)}/`));
}

export interface Leftovers {
  netns: string[];
  links: string[];
  cgroups: string[];
  loops: string[];
  iptables: string[];
  mounts: string[];
  processes: string[];
  endpoint: boolean;
}

export async function leftovers(stateDir: string): Promise<Leftovers> {
  return {
    netns: await labNetns(),
    links: await labLinks(),
    cgroups: labCgroups(),
    loops: await labLoops(stateDir),
    iptables: await labIptablesRules(),
    mounts: labMounts(stateDir),
    processes: labProcesses(stateDir),
    endpoint: endpointState(stateDir).running,
  };
}

/** What is left of some boards only (the rest of the lab may be someone else's). */
export async function boardLeftovers(stateDir: string, boards: { id: string; address?: string }[]): Promise<Omit<Leftovers, 'iptables' | 'endpoint'>> {
  const all = await leftovers(stateDir);
  const exact = new Set(boards.flatMap((b) => [netnsName(b.id), `${CGROUP_PREFIX}${b.id}`, ...(b.address ? [vethName(b.address)] : [])]));
  const parts = boards.flatMap((b) => [`${labDir(stateDir)}/${b.id}/`, `/${CGROUP_PREFIX}${b.id} `, ...(b.address ? [`${b.address}:`] : [])]);
  const ends = boards.map((b) => `${labDir(stateDir)}/${b.id}`);
  const ours = (t: string) => exact.has(t) || parts.some((p) => t.includes(p)) || ends.some((e) => t.endsWith(e));
  return {
    netns: all.netns.filter(ours),
    links: all.links.filter(ours),
    cgroups: all.cgroups.filter(ours),
    loops: (await sh('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE'])).stdout.split('\n').filter((l) => l.trim() && ours(l)),
    mounts: all.mounts.filter(ours),
    processes: all.processes.filter(ours),
  };
}

/** Take down every netns board of this host and the lab bridge, whatever inventory started them. */
export async function sweepNetnsLab(stateDir: string): Promise<Leftovers> {
  const ids = new Set<string>([
    ...(await labNetns()).map((n) => n.slice(NETNS_PREFIX.length)),
    ...labCgroups().map((c) => c.slice(CGROUP_PREFIX.length)),
    ...stateBoards(stateDir),
  ]);
  await Promise.all([...ids].map((id) => netnsBoardDown(id, stateDir)));
  for (const link of await labLinks()) if (link !== BRIDGE.name) await sh('ip', ['link', 'del', link]);
  for (const dev of await labLoops(stateDir)) await sh('losetup', ['-d', dev]);
  await stopEndpoint(stateDir);
  await removeBridge();
  return leftovers(stateDir);
}
