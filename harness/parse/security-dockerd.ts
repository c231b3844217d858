// Is dockerd's API reachable over plain TCP from the network? Both seeds start `dockerd -H tcp://0.0.0.0:2375`:
// anyone who reaches that port is root on the board. Inputs: dockerd's argv/env/daemon.json and the listeners.
import { mark, parseSections, sectionScript } from '../board/sections.ts';
import { describeListener, socketInodes, type Listener } from './security-sockets.ts';

/**
 * Board script: every dockerd's mount namespace, argv, TLS env and socket fds; the TCP listeners. One round trip,
 * POSIX sh. Boards sharing a pid namespace (the virtual lab's netns boards) see each other's dockerd: only those in
 * the shell's own mount namespace belong to this board.
 */
export const DOCKERD_PROBE = sectionScript([
  mark('selfmnt', '$(readlink /proc/self/ns/mnt 2>/dev/null)'),
  `${mark('tcp')}; cat /proc/net/tcp 2>/dev/null`,
  `${mark('tcp6')}; cat /proc/net/tcp6 2>/dev/null`,
  'for d in /proc/[0-9]*; do',
  '  c=$(cat "$d/comm" 2>/dev/null) || continue',
  '  case "$c" in dockerd) ;; *) continue ;; esac',
  '  p=${d#/proc/}',
  `  ${mark('mnt', '$p $(readlink "$d/ns/mnt" 2>/dev/null)')}`,
  `  ${mark('argv', '$p')}; tr '\\0' '\\n' < "$d/cmdline" 2>/dev/null; echo`,
  `  ${mark('env', '$p')}; tr '\\0' '\\n' < "$d/environ" 2>/dev/null | grep "^DOCKER_TLS"`,
  `  ${mark('fd', '$p')}; ls -l "$d/fd" 2>/dev/null | grep "socket:"`,
  'done',
]);

export interface DockerdProcess {
  pid: number;
  /** mnt:[4026531841], or '' when unreadable */
  mntNs: string;
  argv: string[];
  env: Record<string, string>;
  sockets: Set<string>;
}

export interface DockerdProbe {
  tcp: string;
  tcp6: string;
  daemons: DockerdProcess[];
  complete: boolean;
}

export function parseDockerdProbe(text: string): DockerdProbe {
  const sec = parseSections(text);
  const out: DockerdProbe = { tcp: sec.text('tcp') ?? '', tcp6: sec.text('tcp6') ?? '', daemons: [], complete: sec.complete };
  const daemon = (p: number) => {
    let d = out.daemons.find((x) => x.pid === p);
    if (!d) out.daemons.push((d = { pid: p, mntNs: '', argv: [], env: {}, sockets: new Set() }));
    return d;
  };
  const self = sec.list.find((s) => s.name === 'selfmnt')?.args[0] ?? '';
  for (const s of sec.list) {
    const pid = Number(s.args[0]);
    if (!['mnt', 'argv', 'env', 'fd'].includes(s.name) || !Number.isInteger(pid) || pid <= 0) continue;
    const d = daemon(pid);
    if (s.name === 'mnt') d.mntNs = s.args[1] ?? '';
    else if (s.name === 'argv') d.argv.push(...s.lines.filter((l) => l !== ''));
    else if (s.name === 'env') {
      for (const line of s.lines) {
        const kv = /^([A-Z_]+)=(.*)$/.exec(line);
        if (kv) d.env[kv[1]!] = kv[2]!;
      }
    } else for (const line of s.lines) for (const inode of socketInodes(line)) d.sockets.add(inode);
  }
  if (self) out.daemons = out.daemons.filter((d) => !d.mntNs || d.mntNs === self);
  return out;
}

export interface DockerdConfig {
  hosts: string[];
  tls?: boolean;
  tlsverify?: boolean;
  configFile?: string;
}

const boolFlag = (v: string | undefined) => v === undefined || v === '' || v === 'true' || v === '1';

/** dockerd flags that decide exposure: -H/--host (repeatable), --tls, --tlsverify, --config-file. */
export function parseDockerdArgv(argv: readonly string[]): DockerdConfig {
  const cfg: DockerdConfig = { hosts: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (name === '-H' || name === '--host') {
      const v = inline ?? argv[++i];
      if (v) cfg.hosts.push(v);
    } else if (a.startsWith('-H') && a.length > 2 && !a.startsWith('--')) cfg.hosts.push(a.slice(a[2] === '=' ? 3 : 2));
    else if (name === '--tls') cfg.tls = boolFlag(inline);
    else if (name === '--tlsverify') cfg.tlsverify = boolFlag(inline);
    else if (name === '--config-file') cfg.configFile = inline ?? argv[++i];
  }
  return cfg;
}

/** daemon.json keys that decide exposure; undefined when the text is not a JSON object. */
export function parseDaemonJson(text: string): DockerdConfig | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  return {
    hosts: Array.isArray(o.hosts) ? o.hosts.filter((h): h is string => typeof h === 'string') : [],
    tls: typeof o.tls === 'boolean' ? o.tls : undefined,
    tlsverify: typeof o.tlsverify === 'boolean' ? o.tlsverify : undefined,
  };
}

/** A `tcp://host:port` docker host reachable from other machines (empty host, 0.0.0.0, ::, or a real address). */
export function tcpHostExposed(host: string): boolean {
  const m = /^tcp:\/\/(\[[^\]]*\]|[^:/]*)(?::\d+)?\/?$/.exec(host.trim());
  if (!m) return false;
  const h = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  return !(h === 'localhost' || h === '::1' || /^127\./.test(h));
}

export interface TcpExposure {
  /** reasons for a finding; empty = no plain-TCP exposure found */
  reasons: string[];
  notes: string[];
}

// the IANA port of docker's plain-HTTP API
export const DOCKER_PLAIN_PORT = 2375;

export function assessDockerdTcp(input: { daemons: { pid: number; config: DockerdConfig; sockets: Set<string> }[]; listeners: Listener[]; inventoryTcp?: string }): TcpExposure {
  const reasons: string[] = [];
  const notes: string[] = [];
  const owned = new Set<string>();
  for (const d of input.daemons) {
    const verify = d.config.tlsverify === true;
    const how = verify ? 'with --tlsverify (mutual TLS)' : d.config.tls ? 'with --tls but without --tlsverify: no client authentication' : 'without TLS';
    const exposedHosts = d.config.hosts.filter(tcpHostExposed);
    for (const l of input.listeners.filter((x) => d.sockets.has(x.inode))) {
      owned.add(l.inode);
      if (l.loopback) notes.push(`dockerd (pid ${d.pid}) listens on loopback ${describeListener(l)} only`);
      else if (verify) notes.push(`dockerd (pid ${d.pid}) listens on ${describeListener(l)} ${how}`);
      else reasons.push(`dockerd (pid ${d.pid}) listens on ${describeListener(l)} ${how}: anyone reaching that address controls the board as root`);
    }
    if (!verify && exposedHosts.length && !reasons.some((r) => r.startsWith(`dockerd (pid ${d.pid})`))) {
      reasons.push(`dockerd (pid ${d.pid}) is configured with ${exposedHosts.map((h) => `-H ${h}`).join(' ')} ${how}`);
    }
  }
  for (const l of input.listeners) {
    if (owned.has(l.inode) || l.loopback || l.port !== DOCKER_PLAIN_PORT) continue;
    reasons.push(`a process other than dockerd listens on ${describeListener(l)} (docker's plain-HTTP API port)`);
  }
  if (input.inventoryTcp) reasons.push(`the inventory reaches this board's dockerd over plain TCP (docker.tcp: ${input.inventoryTcp})`);
  return { reasons, notes };
}
