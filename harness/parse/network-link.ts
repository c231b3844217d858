// Which interfaces exist in the board's netns (/proc/net/dev, readable without tools) and of what kind a link is
// (`ip -d link show`): /sys/class/net is not used for existence, because a sysfs mounted outside the board's
// network namespace lists another namespace's interfaces.

/** Interface names of /proc/net/dev; undefined when the text is not in the kernel's format. */
export function parseProcNetDev(text: string): string[] | undefined {
  const lines = text.split('\n').filter((l) => l.trim());
  if (!/^Inter-\|/.test(lines[0] ?? '') || !/^\s*face\s*\|/.test(lines[1] ?? '')) return undefined;
  const names: string[] = [];
  for (const l of lines.slice(2)) {
    const m = /^\s*([^\s:]+):\s*\d+(\s+\d+){15}\s*$/.exec(l);
    if (!m) return undefined;
    names.push(m[1]!);
  }
  return names;
}

const KINDS = ['bridge', 'veth', 'dummy', 'vlan', 'vxlan', 'macvlan', 'macvtap', 'ipvlan', 'bond', 'team', 'tun', 'ipip', 'gre', 'gretap', 'sit', 'wireguard', 'geneve', 'vrf', 'ifb'];

/** The link kind iproute2's `ip -d link show` prints on the line after `link/...`; undefined when it prints none. */
export function linkKind(ipDetails: string): string | undefined {
  const lines = ipDetails.split('\n');
  const at = lines.findIndex((l) => /^\s+link\//.test(l));
  if (at < 0) return undefined;
  const word = lines[at + 1]?.trim().split(/\s+/)[0];
  return word && KINDS.includes(word) ? word : undefined;
}
