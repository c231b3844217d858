// ANDROID_PARANOID_NETWORK's effect, probed: may a process outside AID_INET (uid 9999, no groups) open an inet socket?
import { mark, parseSections, sectionScript } from '../board/sections.ts';

/** The uid a probe runs as: Android's AID_NOBODY, never a member of AID_INET (3003). */
export const PROBE_UID = 9999;

// Each way to drop to another uid, tried in order; the first whose `id -u` answers a non-zero uid is used.
// setpriv (util-linux), Android's `su UID CMD`, runit's chpst/setuidgid (busybox), busybox/util-linux `su -s`.
const SWITCHERS: { name: string; test: string; run: (cmd: string) => string }[] = [
  { name: 'setpriv', test: `setpriv --reuid=${PROBE_UID} --regid=${PROBE_UID} --clear-groups -- id -u`, run: (c) => `setpriv --reuid=${PROBE_UID} --regid=${PROBE_UID} --clear-groups -- sh -c ${c}` },
  { name: 'su', test: `su ${PROBE_UID} id -u`, run: (c) => `su ${PROBE_UID} sh -c ${c}` },
  { name: 'chpst', test: `chpst -u :${PROBE_UID}:${PROBE_UID} id -u`, run: (c) => `chpst -u :${PROBE_UID}:${PROBE_UID} sh -c ${c}` },
  { name: 'setuidgid', test: 'setuidgid nobody id -u', run: (c) => `setuidgid nobody sh -c ${c}` },
  { name: 'su-nobody', test: "su -s /bin/sh nobody -c 'id -u'", run: (c) => `su -s /bin/sh nobody -c ${c}` },
];

/**
 * One board script: find a uid switcher and an `nc`, connect to 127.0.0.1:9 as the shell's user (control) and as
 * the other uid. A refused or accepted connection both prove socket() worked; EACCES/EPERM from socket() is the
 * paranoid-network denial.
 */
export function inetSocketProbeScript(): string {
  // port 9 (discard): whether something listens or not, only socket() itself can fail with EACCES/EPERM
  const probe = `"$NC -w 2 127.0.0.1 9 </dev/null"`;
  const pick = SWITCHERS.map(
    (s, i) =>
      `${i ? 'elif' : 'if'} command -v ${s.name.split('-')[0]} >/dev/null 2>&1 && u=$(${s.test} 2>/dev/null) && [ -n "$u" ] && [ "$u" != 0 ] && [ "$u" -eq "$u" ] 2>/dev/null; then sw=${s.name}`,
  );
  const run = SWITCHERS.map((s) => `${s.name}) ${s.run('"$1"')} ;;`).join(' ');
  return sectionScript([
    'sw=none; u=',
    ...pick,
    'fi',
    mark('switch', '$sw $u'),
    // absolute paths: the other uid's PATH may differ (or hold directories it cannot search); a shell applet has none
    'NC=; abs() { p=$(command -v "$1" 2>/dev/null) && [ "${p#/}" != "$p" ] && { echo "$p"; return 0; }; for d in $(echo "$PATH" | tr : " ") /bin /sbin /usr/bin /usr/sbin /system/bin /system/xbin; do [ -x "$d/$1" ] && [ ! -d "$d/$1" ] && { echo "$d/$1"; return 0; }; done; return 1; }',
    'if p=$(abs nc); then NC=$p; elif p=$(abs busybox); then NC="$p nc"; elif p=$(abs toybox); then NC="$p nc"; fi',
    mark('nc', '${NC:-none}'),
    `if [ "$sw" = none ] || [ -z "$NC" ]; then ${mark('end')}; exit 0; fi`,
    `as_other() { case $sw in ${run} esac; }`,
    `${mark('control', '$(id -u)')}; sh -c ${probe} 2>&1; ${mark('rc', '$?')}`,
    `${mark('other')}; as_other "id; $NC -w 2 127.0.0.1 9 </dev/null" 2>&1; ${mark('rc', '$?')}`,
  ]);
}

export type SocketVerdict = 'allowed' | 'denied' | 'unknown';

export interface InetProbe {
  switcher: string;
  uid: string;
  nc: string;
  control?: { uid: string; text: string; rc: number | null; verdict: SocketVerdict };
  other?: { text: string; rc: number | null; verdict: SocketVerdict };
  complete: boolean;
}

/** socket() refused by the kernel (EACCES for paranoid network, EPERM for an LSM/BPF hook) vs. a socket that worked. */
export function classifySocketAttempt(text: string, rc: number | null): SocketVerdict {
  // 126/127: the shell could not run nc at all (not found, not executable for this uid): says nothing of sockets
  if (rc === 126 || rc === 127 || /not found|applet not found|can't execute/i.test(text)) return 'unknown';
  if (/permission denied|operation not permitted|EACCES|EPERM/i.test(text)) return 'denied';
  if (/connection refused|refused|connected|succeeded|open\b/i.test(text) || rc === 0) return 'allowed';
  return 'unknown';
}

export function parseInetProbe(stdout: string): InetProbe {
  const { list, complete } = parseSections(stdout);
  const out: InetProbe = { switcher: 'none', uid: '', nc: 'none', complete };
  list.forEach((s, i) => {
    // an attempt's exit code is the marker that follows its output
    const rc = list[i + 1]?.name === 'rc' && /^\d+$/.test(list[i + 1]!.args[0] ?? '') ? Number(list[i + 1]!.args[0]) : null;
    const text = s.lines.join('\n').trim();
    if (s.name === 'switch') [out.switcher, out.uid] = [s.args[0] ?? 'none', s.args[1] ?? ''];
    else if (s.name === 'nc' && s.args.length) out.nc = s.args.join(' ');
    else if (s.name === 'control' && rc !== null) out.control = { uid: s.args[0] ?? '', text, rc, verdict: classifySocketAttempt(text, rc) };
    else if (s.name === 'other' && rc !== null) out.other = { text, rc, verdict: classifySocketAttempt(text.replace(/^uid=.*$/m, ''), rc) };
  });
  return out;
}
