import { labSpec, runLabContainer } from '../harness/board/lab-image.ts';
import { check, suite, type CheckContext } from '../harness/check/index.ts';
import { shQuote } from '../harness/core/quote.ts';
import type { CommandResult } from '../harness/core/result.ts';
import { parseIfaceAddresses, type IfaceAddress } from '../harness/parse/network-addr.ts';
import { linkKind, parseProcNetDev } from '../harness/parse/network-link.ts';
import { parseIpRules, seedRulePolicyProblems } from '../harness/parse/network-ip-rule.ts';
import { findMasquerade, parseIptablesRules, traverse, type Packet, type Verdict } from '../harness/parse/network-iptables.ts';
import { formatCidr, parseCidr, parseIpv4 } from '../harness/parse/network-ipv4.ts';
import { loopbackAddressesOf, parseHosts, parseResolvConf } from '../harness/parse/network-resolv.ts';
import { clockSkew, parseEpochSeconds } from '../harness/parse/network-clock.ts';
import { defaultRoutes, parseProcNetRoute } from '../harness/parse/network-route.ts';
import { firstLine, toolMissing } from '../harness/parse/network-tools.ts';
import { garbled, mark, parseSections, sectionScript } from '../harness/board/sections.ts';

// docker's default bridge; the seeds never rename it
const BRIDGE = 'docker0';
const EGRESS_SECONDS = 15;

suite('network', () => {
  check(
    {
      id: 'NET-IP-FORWARD',
      title: 'IPv4 forwarding is enabled',
      requirement: 'The board MUST forward IPv4 packets (net.ipv4.ip_forward = 1) so that container traffic leaves through the bridge.',
      source: 'seed 002 "Modify the network kernel configuration" (packet forward function); k8s kubeadm preflight FileContent--proc-sys-net-ipv4-ip_forward',
      remediation: 'sysctl -w net.ipv4.ip_forward=1 (persist it in the board init scripts)',
    },
    async (c) => {
      const r = await c.must('cat /proc/sys/net/ipv4/ip_forward', { what: 'reading net.ipv4.ip_forward' });
      const v = r.stdout.trim();
      c.assert(v === '1', `net.ipv4.ip_forward is ${JSON.stringify(v)}, expected "1"`);
    },
  );

  check(
    {
      id: 'NET-IP-RULES',
      title: 'Policy routing consults main, then default, before vendor tables',
      requirement:
        'Apart from `local`, the first ip rule MUST look up the main table for every packet and the second the default table (the seeds add `1: from all lookup main` and `2: from all lookup default`), so that vendor or per-interface rules cannot route container traffic away from docker0 and the default route.',
      source: 'seed 002 step 6 and step 7 "ip rule add pref 1 from all lookup main / pref 2 from all lookup default"; seed 000 "Add routing rules"',
      remediation: 'ip rule add pref 1 from all lookup main; ip rule add pref 2 from all lookup default (in the board init scripts, after netd/the vendor network daemon has set its rules)',
    },
    async (c) => {
      const r = await c.run('ip rule show', { timeout: c.timeouts.command });
      if (toolMissing(r)) return c.fail('`ip` (iproute2) is not on the board: seed 002 step 3 installs a static iproute2');
      c.assert(!r.timedOut && r.exitCode === 0, `\`ip rule show\` failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${firstLine(r)}`);
      const { rules, unparsed } = parseIpRules(r.stdout);
      c.assert(unparsed.length === 0, `\`ip rule show\` printed lines that are not rules (garbage or truncated output): ${JSON.stringify(unparsed.slice(0, 3))}`);
      c.assert(rules.length > 0, '`ip rule show` listed no rules at all');
      const problems = seedRulePolicyProblems(rules);
      c.assert(problems.length === 0, problems.join('; '));
    },
  );

  check(
    {
      id: 'NET-DEFAULT-ROUTE',
      title: 'The main routing table has a default route',
      requirement: 'The main routing table MUST hold an IPv4 default route, so that traffic NATed from docker0 can leave the board.',
      source: 'seed 000 "Resolve Android network": `ip route add default via <gw> dev eth1` (Android keeps its default routes in per-interface tables); keadm debug check network',
      remediation: 'ip route add default via <gateway> dev <uplink> (Android/OpenHarmony: copy the uplink\'s default route from its per-interface table into main)',
    },
    async (c) => {
      const r = await c.must('cat /proc/net/route', { what: 'reading /proc/net/route' });
      const { routes, unparsed, headerSeen } = parseProcNetRoute(r.stdout);
      c.assert(headerSeen && unparsed.length === 0, `/proc/net/route is not in the kernel's format (garbage or truncated): ${JSON.stringify(unparsed.slice(0, 3))}`);
      const defaults = defaultRoutes(routes);
      c.assert(defaults.length > 0, `no default route in the main table (routes: ${routes.map((x) => `${x.destination}/${x.mask} dev ${x.iface}`).join(', ') || 'none'})`);
      const d = defaults[0]!;
      c.note('default route', `default via ${d.gateway} dev ${d.iface} metric ${d.metric}`);
    },
  );

  check(
    {
      id: 'NET-IPTABLES-WORKS',
      title: 'iptables runs and lists the filter table',
      requirement: 'An `iptables` binary MUST be on the board\'s PATH and MUST list the filter table (INPUT, FORWARD, OUTPUT), since dockerd programs its NAT and forwarding rules with it.',
      source: 'seed 002 problem 4 (a static arm64 iptables never worked, a 32-bit build did) and step 3; k8s kubeadm preflight FileExisting-iptables; moby contrib/check-config.sh (IP_NF_FILTER, IP_NF_NAT)',
      remediation: 'install an iptables build that runs on the board\'s userland (seed 002: a static armhf build) and the kernel\'s ip_tables/iptable_filter support',
    },
    async (c) => {
      const r = await iptables(c, '-S');
      if (toolMissing(r)) return c.fail('`iptables` is not on the board\'s PATH (seed 002 step 3 installs a static build)');
      c.assert(!r.timedOut, `\`iptables -S\` did not finish within ${c.timeouts.hangProne} ms (xtables lock held, or a hung binary)`);
      c.assert(r.exitCode === 0, `\`iptables -S\` exited ${r.exitCode}: ${firstLine(r)}`);
      const t = parseIptablesRules(r.stdout);
      c.assert(t.unparsed.length === 0, `\`iptables -S\` printed lines that are not rule specs (garbage or truncated output): ${JSON.stringify(t.unparsed.slice(0, 3))}`);
      const missing = ['INPUT', 'FORWARD', 'OUTPUT'].filter((ch) => !t.policies.has(ch));
      c.assert(missing.length === 0, `the filter table listing has no policy for ${missing.join(', ')}`);
      const v = await c.run('iptables -V', { timeout: c.timeouts.hangProne });
      if (v.exitCode === 0) c.note('iptables version', v.stdout.trim());
    },
  );

  check(
    {
      id: 'NET-DOCKER0-BRIDGE',
      title: 'docker0 is a bridge with an IPv4 address',
      requirement: 'The board MUST have docker\'s bridge `docker0`, of kind bridge, with an IPv4 address (the gateway of the container subnet).',
      source: 'seed 002 "Modify the network kernel configuration" (bridge mode networking); moby contrib/check-config.sh (BRIDGE, VETH)',
      remediation: 'enable CONFIG_BRIDGE and CONFIG_VETH, and start dockerd without --bridge=none (it creates docker0 with --bip or 172.17.0.1/16)',
    },
    async (c) => {
      const addr = await bridgeAddress(c);
      c.note(`${BRIDGE} address`, `${addr.address}/${addr.prefix} (subnet ${formatCidr(addr.subnet)})`);
    },
  );

  check(
    {
      id: 'NET-DOCKER-MASQUERADE',
      title: 'docker\'s MASQUERADE rule for its subnet is in nat POSTROUTING',
      requirement: 'The nat table MUST hold docker\'s `-A POSTROUTING -s <docker0 subnet> ! -o docker0 -j MASQUERADE` rule, so container traffic leaves with the board\'s address.',
      source: 'moby bridge driver (masquerade rule of the default bridge); moby contrib/check-config.sh (IP_NF_TARGET_MASQUERADE, NF_NAT); seed 002 step 1 network kernel configuration',
      remediation: 'enable CONFIG_IP_NF_NAT and CONFIG_IP_NF_TARGET_MASQUERADE, keep dockerd\'s --iptables=true and --ip-masq=true, and make sure dockerd and `iptables` on the PATH use the same backend (legacy vs nf_tables)',
      dependsOn: ['NET-IPTABLES-WORKS', 'NET-DOCKER0-BRIDGE'],
    },
    async (c) => {
      const addr = await bridgeAddress(c);
      const r = await iptables(c, '-t nat -S POSTROUTING');
      c.assert(!r.timedOut && r.exitCode === 0, `\`iptables -t nat -S POSTROUTING\` failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${firstLine(r)}`);
      const nat = parseIptablesRules(r.stdout);
      c.assert(nat.unparsed.length === 0, `the nat listing has lines that are not rule specs: ${JSON.stringify(nat.unparsed.slice(0, 3))}`);
      const rule = findMasquerade(nat, addr.subnet, BRIDGE);
      const have = (nat.chains.get('POSTROUTING') ?? []).map((x) => x.raw);
      if (!rule) c.fail(`no \`-A POSTROUTING -s ${formatCidr(addr.subnet)} ! -o ${BRIDGE} -j MASQUERADE\` rule; POSTROUTING holds: ${have.length ? have.join(' | ') : '(nothing)'}`);
    },
  );

  check(
    {
      id: 'NET-TETHERCTRL-FORWARD',
      title: 'Android\'s tetherctrl_FORWARD does not drop container traffic',
      requirement: 'Where Android\'s netd chain `tetherctrl_FORWARD` exists, forwarded container traffic (new connections out of docker0, and their replies) MUST NOT be dropped or rejected by it.',
      source: 'seed 000 "Resolve Android network": `iptables -D tetherctrl_FORWARD 1`; AOSP netd TetherController (tetherctrl_FORWARD holds a lone `-j DROP` while tethering is off) and its FORWARD chain order (oem_fwd, fw_FORWARD, bw_FORWARD, tetherctrl_FORWARD)',
      remediation: 'after netd has set up its chains and before starting containers: delete the DROP rule from tetherctrl_FORWARD (seed 000: `iptables -D tetherctrl_FORWARD 1`) or insert ACCEPT rules for docker0 ahead of the jump to it in FORWARD',
      dependsOn: ['NET-IPTABLES-WORKS'],
    },
    async (c) => {
      const r = await iptables(c, '-S');
      c.assert(!r.timedOut && r.exitCode === 0, `\`iptables -S\` failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${firstLine(r)}`);
      const filter = parseIptablesRules(r.stdout);
      c.assert(filter.unparsed.length === 0, `the filter listing has lines that are not rule specs: ${JSON.stringify(filter.unparsed.slice(0, 3))}`);
      if (!filter.chains.has('tetherctrl_FORWARD')) return c.skip('the filter table has no tetherctrl_FORWARD chain (no Android netd tethering chains on this board)');
      const subnet = (await bridgeAddressIfAny(c))?.subnet ?? parseCidr('172.17.0.0/16')!;
      const uplink = await uplinkInterface(c);
      const container = subnet.network + 2;
      // where container traffic goes: the lab endpoint, or a documentation address (TEST-NET-2)
      const remote = parseIpv4(/^http:\/\/([\d.]+)[:/]/.exec((c.board.spec.endpoint ?? labSpec()?.endpoint)?.url ?? '')?.[1] ?? '') ?? parseIpv4('198.51.100.1')!;
      const packets: [string, Packet][] = [
        [`new connection ${BRIDGE} -> ${uplink}`, { in: BRIDGE, out: uplink, src: container, dst: remote, proto: 'tcp', state: 'NEW' }],
        [`reply ${uplink} -> ${BRIDGE}`, { in: uplink, out: BRIDGE, src: remote, dst: container, proto: 'tcp', state: 'ESTABLISHED' }],
      ];
      const blocked: string[] = [];
      for (const [what, p] of packets) {
        const v = traverse(filter, 'FORWARD', p);
        c.note(`FORWARD verdict for ${what}`, describeVerdict(v));
        const byTether = v.path.includes('tetherctrl_FORWARD') || v.rule?.chain === 'tetherctrl_FORWARD';
        if ((v.verdict === 'DROP' || v.verdict === 'REJECT') && byTether) blocked.push(`${what}: ${v.verdict} by \`${v.rule?.raw ?? `policy of ${v.policyOf}`}\` (via ${v.path.join(' -> ')})`);
      }
      c.assert(blocked.length === 0, `tetherctrl_FORWARD drops container traffic: ${blocked.join('; ')}`);
    },
  );

  check(
    {
      id: 'NET-RESOLV-NAMESERVER',
      title: '/etc/resolv.conf names a nameserver containers can use',
      requirement: '/etc/resolv.conf MUST name at least one nameserver that is not a loopback address, because dockerd copies it into containers and drops loopback resolvers (falling back to public ones that an offline edge cannot reach).',
      source: 'seed 000 "config /etc/resolv.conf" (Android has none; it resolves through netd); moby libnetwork resolvconf (loopback nameservers filtered, public defaults added); keadm debug check dns',
      remediation: 'write /etc/resolv.conf with the site\'s DNS server (`nameserver <ip>`), e.g. from the uplink\'s DHCP lease (Android: `getprop net.dns1`)',
    },
    async (c) => {
      const r = await c.run('cat /etc/resolv.conf', { timeout: c.timeouts.command });
      c.assert(!r.timedOut, 'reading /etc/resolv.conf timed out');
      c.assert(r.exitCode === 0, `/etc/resolv.conf cannot be read: ${firstLine(r)}`);
      const conf = parseResolvConf(r.stdout);
      if (conf.invalid.length) c.note('invalid nameserver lines', conf.invalid.join('\n'));
      c.assert(conf.nameservers.length > 0, '/etc/resolv.conf names no nameserver');
      if (conf.nameservers.some((n) => !n.loopback)) return;
      // systemd-resolved's stub: dockerd reads the real upstreams from this file instead
      const up = await c.run('cat /run/systemd/resolve/resolv.conf 2>/dev/null', { timeout: c.timeouts.command });
      const upstream = parseResolvConf(up.stdout).nameservers.filter((n) => !n.loopback);
      c.assert(upstream.length > 0, `/etc/resolv.conf names only loopback nameservers (${conf.nameservers.map((n) => n.address).join(', ')}), which containers cannot reach`);
      c.note('nameservers', `loopback stub in /etc/resolv.conf; dockerd uses /run/systemd/resolve/resolv.conf: ${upstream.map((n) => n.address).join(', ')}`);
    },
  );

  check(
    {
      id: 'NET-LOCALHOST-HOSTS',
      title: '`localhost` resolves to 127.0.0.1 through /etc/hosts',
      requirement: '/etc/hosts MUST map the name `localhost` to an IPv4 loopback address, since edgecore and its local clients (metaServer on 127.0.0.1) resolve it through the hosts file.',
      source: 'seed 002 "Install edgecore on the OpenHarmony edge": `echo "127.0.0.1 localhost localhost" > /etc/hosts` ("Add the path to localhost")',
      remediation: 'add `127.0.0.1 localhost` to /etc/hosts (on Android/OpenHarmony, bind-mount a writable copy if /etc is read-only)',
    },
    async (c) => {
      const r = await c.run('cat /etc/hosts', { timeout: c.timeouts.command });
      c.assert(!r.timedOut, 'reading /etc/hosts timed out');
      c.assert(r.exitCode === 0, `/etc/hosts cannot be read: ${firstLine(r)}`);
      const loop = loopbackAddressesOf(parseHosts(r.stdout), 'localhost');
      c.assert(loop.length > 0, '/etc/hosts has no line mapping `localhost` to an IPv4 loopback address (127.0.0.0/8)');
    },
  );

  check(
    {
      id: 'NET-CLOCK-SYNC',
      title: "The board's clock agrees with the lab host's",
      requirement:
        "The board's wall clock MUST be within the profile's bound (thresholds.clockSkewMaxS, default 60 s) of the lab host's, since edgecore's TLS to cloudcore rejects certificates that are not yet (or no longer) valid at the board's time.",
      source:
        'RK3568/DAYU200 boards without an RTC battery boot with a clock in the past; edgecore then fails every handshake with "x509: certificate has expired or is not yet valid" (Go crypto/x509 validity check; KubeEdge edgehub/cloudhub TLS with certificates issued by cloudcore)',
      remediation: 'sync the clock at boot (NTP: `ntpd -q -p <server>` / `busybox ntpd`, OpenHarmony/Android time sync), or set it once with `date -s @<epoch>`; fit an RTC battery so the clock survives power-off',
    },
    async (c) => {
      const hostBeforeMs = Date.now();
      const r = await c.run('date -u +%s', { timeout: c.timeouts.command });
      const hostAfterMs = Date.now();
      c.assert(!r.timedOut && r.exitCode === 0, `\`date -u +%s\` failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${firstLine(r)}`);
      const boardS = parseEpochSeconds(r.stdout);
      c.assert(boardS !== undefined, `\`date -u +%s\` did not print seconds since the epoch: ${JSON.stringify(r.stdout.slice(0, 80))}`);
      const { skewS, uncertaintyS } = clockSkew({ boardS: boardS!, hostBeforeMs, hostAfterMs });
      c.measure('board clock minus lab host clock', skewS, 's');
      const max = c.profile.thresholds.clockSkewMaxS;
      const at = (ms: number) => new Date(ms).toISOString();
      c.assert(
        Math.abs(skewS) <= max + uncertaintyS,
        `the board's clock is ${Math.abs(skewS)} s ${skewS < 0 ? 'behind' : 'ahead of'} the lab host's (board ${at(boardS! * 1000)}, host ${at(hostBeforeMs)}; bound ${max} s, thresholds.clockSkewMaxS)`,
      );
    },
  );

  check(
    {
      id: 'NET-CONTAINER-EGRESS',
      title: 'A container reaches the lab endpoint through NAT',
      requirement: 'A container on docker\'s default bridge MUST reach an HTTP endpoint outside the board (the lab endpoint) through the board\'s NAT and forwarding.',
      source: 'seed 002 step 9 / seed 000 (`docker run` of an image that talks to the network after the routing, iptables and forwarding fixes); KubeEdge e2e (pods reaching services); keadm debug check network',
      remediation: 'fix the failures this depends on in practice: ip_forward, the ip rules, docker\'s MASQUERADE rule, Android\'s tetherctrl_FORWARD DROP, a default route',
    },
    async (c) => {
      const endpoint = c.board.spec.endpoint ?? labSpec()?.endpoint;
      if (!endpoint) return c.skip('no lab endpoint is configured (inventory `lab.endpoint.url` or the board\'s `endpoint.url`): nothing outside the board to reach');
      // busybox 1.35's `wget -T` segfaults, and PID 1 ignores timeout's SIGTERM: bound wget from a shell that stays
      // PID 1 (a trailing command keeps ash from exec'ing the last one in its place)
      const run = await runLabContainer(c, {
        purpose: 'egress',
        cmd: ['sh', '-c', `timeout ${EGRESS_SECONDS} wget -q -O - ${shQuote(endpoint.url)}; rc=$?; exit $rc`],
      });
      const how = run.exitCode === 143 ? `got no answer within ${EGRESS_SECONDS} s` : `exited ${run.exitCode}`;
      const said = run.warnings.length ? ` (dockerd warned: ${run.warnings.join('; ')})` : '';
      c.assert(run.exitCode === 0, `\`wget ${endpoint.url}\` in a container ${how}: ${(run.stderr || run.stdout).trim().slice(0, 300) || '(no output)'}${said}`);
      if (endpoint.expect) c.assert(run.stdout.includes(endpoint.expect), `the answer of ${endpoint.url} does not contain ${JSON.stringify(endpoint.expect)}: ${JSON.stringify(run.stdout.slice(0, 200))}`);
      c.measure('container HTTP fetch (run to exit)', run.durationMs, 'ms');
    },
  );
});

/** iptables with the xtables lock wait (-w) where the build knows it; bounded, since a held lock or a bad binary hangs. */
function iptables(c: CheckContext, args: string): Promise<CommandResult> {
  return c.run(`iptables -w ${args} 2>/dev/null || iptables ${args}`, { timeout: c.timeouts.hangProne });
}

async function bridgeAddressIfAny(c: CheckContext): Promise<IfaceAddress | undefined> {
  const r = await c.run(`ip -4 addr show dev ${BRIDGE} 2>/dev/null || ifconfig ${BRIDGE}`, { timeout: c.timeouts.command });
  if (garbled(r.stdout)) return c.fail(`\`ip -4 addr show dev ${BRIDGE}\` printed garbage: ${JSON.stringify(r.stdout.slice(0, 160))}`);
  return parseIfaceAddresses(r.stdout)[0];
}

/** docker0's address, or the board's FAIL saying what is missing (it must exist, be a bridge, hold an IPv4 address). */
async function bridgeAddress(c: CheckContext): Promise<IfaceAddress> {
  const script = sectionScript([
    `${mark('dev')}; cat /proc/net/dev`,
    `${mark('ip')}; ip -d link show dev ${BRIDGE} 2>&1`,
    `${mark('sys')}; if [ -d /sys/class/net/${BRIDGE}/bridge ]; then echo bridge; elif [ -e /sys/class/net/${BRIDGE} ]; then echo other; else echo absent; fi`,
  ]);
  const r = await c.run(script, { timeout: c.timeouts.command });
  const sec = parseSections(r.stdout);
  const { complete } = sec;
  c.assert(!r.timedOut && complete, `the interface probe did not complete (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`})`);
  const names = parseProcNetDev(sec.text('dev') ?? '');
  if (!names) return c.fail(`/proc/net/dev is not in the kernel's format (garbage or truncated): ${JSON.stringify((sec.text('dev') ?? '').slice(0, 200))}`);
  c.assert(names.includes(BRIDGE), `there is no ${BRIDGE} interface (interfaces: ${names.join(', ')}): dockerd is not running, or runs with --bridge=none`);
  if (garbled(sec.text('ip') ?? '')) return c.fail(`\`ip -d link show dev ${BRIDGE}\` printed garbage: ${JSON.stringify((sec.text('ip') ?? '').slice(0, 160))}`);
  const kind = linkKind(sec.text('ip') ?? '');
  const sys = sec.text('sys')?.trim();
  if (kind) c.assert(kind === 'bridge', `${BRIDGE} is a ${kind} link, not a bridge`);
  else if (sys === 'bridge' || sys === 'other') c.assert(sys === 'bridge', `${BRIDGE} is not a bridge (/sys/class/net/${BRIDGE}/bridge is missing)`);
  else c.note(`${BRIDGE} kind`, 'not determined: no iproute2 `ip -d link`, and /sys/class/net does not show the board\'s interfaces');
  const addr = await bridgeAddressIfAny(c);
  if (!addr) return c.fail(`${BRIDGE} has no IPv4 address`);
  return addr;
}

/** The interface of the best default route (the NET-TETHERCTRL packets' uplink). */
async function uplinkInterface(c: CheckContext): Promise<string> {
  const r = await c.run('cat /proc/net/route', { timeout: c.timeouts.command });
  return defaultRoutes(parseProcNetRoute(r.stdout).routes)[0]?.iface ?? 'eth0';
}

function describeVerdict(v: Verdict): string {
  const lines = [`verdict: ${v.verdict}`, `decided by: ${v.rule ? `${v.rule.raw} (rule ${v.rule.index} of ${v.rule.chain})` : v.policyOf ? `policy of ${v.policyOf}` : '-'}`, `path: ${v.path.join(' -> ')}`];
  if (v.note) lines.push(`note: ${v.note}`);
  if (v.uncertain.length) lines.push(`rules not evaluated (matches this check cannot decide): ${v.uncertain.map((r) => r.raw).join(' | ')}`);
  return lines.join('\n');
}
