import { describe, expect, it } from 'vitest';
import { parseIfaceAddresses } from '../../harness/parse/network-addr.ts';
import { linkKind, parseProcNetDev } from '../../harness/parse/network-link.ts';
import { parseIpRules, seedRulePolicyProblems } from '../../harness/parse/network-ip-rule.ts';
import { findMasquerade, parseIptablesRules, splitWords, traverse, type Packet } from '../../harness/parse/network-iptables.ts';
import { formatCidr, parseCidr, parseIpv4, prefixOfMask } from '../../harness/parse/network-ipv4.ts';
import { loopbackAddressesOf, parseHosts, parseResolvConf } from '../../harness/parse/network-resolv.ts';
import { defaultRoutes, parseProcNetRoute } from '../../harness/parse/network-route.ts';
import { garbled } from '../../harness/board/sections.ts';
import { toolMissing } from '../../harness/parse/network-tools.ts';
import { clockSkew, parseEpochSeconds } from '../../harness/parse/network-clock.ts';

// what the garbage_output defect appends to a tool's (halved) answer
const GARBAGE = '\n\xff\xfe\x1b[7m#%!<garbage\0 truncated>\n';

// a Debian host (iproute2 6.1)
const LINUX_RULES = '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n';
// shape of an Android 11 RK3568 board (netd RouteController priorities; Android's ip prints a trailing space)
const ANDROID_RULES = [
  '0:\tfrom all lookup local ',
  '10000:\tfrom all fwmark 0xc0000/0xd0000 lookup legacy_system ',
  '11000:\tfrom all iif lo oif eth0 uidrange 0-0 lookup eth0 ',
  '16000:\tfrom all fwmark 0x10063/0x1ffff iif lo lookup local_network ',
  '17000:\tfrom all iif lo oif eth0 lookup eth0 ',
  '18000:\tfrom all fwmark 0x0/0x10000 lookup legacy_system ',
  '20000:\tfrom all fwmark 0x0/0x10000 lookup local_network ',
  '31000:\tfrom all fwmark 0x0/0xffff iif lo lookup eth0 ',
  '32000:\tfrom all unreachable',
].join('\n');
const ANDROID_FIXED = ANDROID_RULES.replace('0:\tfrom all lookup local \n', '0:\tfrom all lookup local \n1:\tfrom all lookup main \n2:\tfrom all lookup default \n');

describe('ip rule', () => {
  it('accepts a plain Linux policy (main first, default second after local)', () => {
    const { rules, unparsed } = parseIpRules(LINUX_RULES);
    expect(unparsed).toEqual([]);
    expect(rules.map((r) => r.pref)).toEqual([0, 32766, 32767]);
    expect(seedRulePolicyProblems(rules)).toEqual([]);
  });

  it('rejects Android vendor rules that shadow main, and accepts the seeds\' fix', () => {
    const before = parseIpRules(ANDROID_RULES);
    expect(before.unparsed).toEqual([]);
    expect(before.rules.at(-1)?.action).toEqual({ kind: 'unreachable' });
    const problems = seedRulePolicyProblems(before.rules);
    expect(problems.join('\n')).toMatch(/no `from all lookup main`/);
    expect(problems.join('\n')).toMatch(/no `from all lookup default`/);
    expect(seedRulePolicyProblems(parseIpRules(ANDROID_FIXED).rules)).toEqual([]);
  });

  it('fails the no_rule_pref_1 board: default is consulted before main', () => {
    const board = '0:\tfrom all lookup local\n2:\tfrom all lookup default\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n';
    const problems = seedRulePolicyProblems(parseIpRules(board).rules);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/32766: from all lookup main` comes after `2: from all lookup default`/);
  });

  it('reads numeric table ids and does not count a suppressing main lookup', () => {
    const rules = parseIpRules('0:\tfrom all lookup 255\n32764:\tfrom all lookup main suppress_prefixlength 0\n32765:\tnot from all fwmark 0xca6c lookup 51820\n32766:\tfrom all lookup 254\n32767:\tfrom all lookup 253\n').rules;
    expect(rules[0]!.action).toEqual({ kind: 'lookup', table: 'local' });
    expect(rules[1]!.suppressing).toBe(true);
    expect(rules[2]!.unconditional).toBe(false);
    expect(seedRulePolicyProblems(rules)[0]).toMatch(/comes after/);
  });

  it('reports garbage and truncated output as unparsed lines', () => {
    const half = LINUX_RULES.slice(0, LINUX_RULES.length / 2);
    const { unparsed } = parseIpRules(half + GARBAGE);
    expect(unparsed.length).toBeGreaterThan(0);
  });
});

describe('/proc/net/route', () => {
  // this lab host: trailing padding, little-endian hex
  const ROUTE =
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n' +
    'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               \n' +
    'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               \n';
  it('finds the default route and its gateway', () => {
    const p = parseProcNetRoute(ROUTE);
    expect(p.headerSeen).toBe(true);
    expect(p.unparsed).toEqual([]);
    expect(defaultRoutes(p.routes)).toEqual([{ iface: 'eth0', destination: '0.0.0.0', gateway: '192.0.2.1', mask: '0.0.0.0', flags: 3, metric: 0 }]);
    expect(p.routes[1]).toMatchObject({ destination: '192.0.2.0', mask: '255.255.255.0' });
  });
  it('has no default route when only connected routes remain', () => {
    const p = parseProcNetRoute(ROUTE.split('\n').filter((l) => !l.startsWith('eth0\t00000000')).join('\n'));
    expect(defaultRoutes(p.routes)).toEqual([]);
  });
  it('flags garbage', () => {
    expect(parseProcNetRoute(ROUTE + GARBAGE).unparsed.length).toBeGreaterThan(0);
  });
});

describe('interfaces', () => {
  // vl-android-1's netns on this host
  const DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1008      19    0    0    0     0          0         0     1008      19    0    0    0     0       0          0
  eth0:   60753     575    0    0    0     0          0         0    91555     435    0    0    0     0       0          0
docker0:     425       7    0    0    0     0          0         0      873       9    0    5    0     0       0          0
`;
  it('lists the netns interfaces from /proc/net/dev', () => {
    expect(parseProcNetDev(DEV)).toEqual(['lo', 'eth0', 'docker0']);
    expect(parseProcNetDev(DEV.slice(0, 300) + GARBAGE)).toBeUndefined();
    expect(parseProcNetDev('')).toBeUndefined();
  });
  it('reads the link kind of `ip -d link show` (iproute2 6.1)', () => {
    const bridge = '3: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN mode DEFAULT group default \n    link/ether 02:42:74:00:aa:5d brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \n    bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time 30000 stp_state 0 priority 32768 vlan_filtering 0 addrgenmode eui64 numtxqueues 1\n';
    const lo = '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00 promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 addrgenmode eui64 numtxqueues 1\n';
    const dummy = '7: docker0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n    link/ether 3a:1b:00:00:00:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 0 maxmtu 0 \n    dummy addrgenmode eui64 numtxqueues 1 numrxqueues 1\n';
    expect(linkKind(bridge)).toBe('bridge');
    expect(linkKind(lo)).toBeUndefined();
    expect(linkKind(dummy)).toBe('dummy');
    // busybox ip has no -d: it prints its usage
    expect(linkKind('BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary.\n\nUsage: ip [OPTIONS] address|route|link|tunnel|neigh|rule [ARGS]\n')).toBeUndefined();
  });
});

describe('interface addresses', () => {
  it('reads iproute2, busybox/toybox ifconfig and net-tools ifconfig', () => {
    const ip = '2: docker0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN group default \n    inet 172.31.99.1/24 brd 172.31.99.255 scope global docker0\n       valid_lft forever preferred_lft forever\n';
    const busybox = 'docker0   Link encap:Ethernet  HWaddr 02:42:AC:11:00:01  \n          inet addr:172.17.0.1  Bcast:172.17.255.255  Mask:255.255.0.0\n          UP BROADCAST MULTICAST  MTU:1500  Metric:1\n';
    const netTools = 'docker0: flags=4099<UP,BROADCAST,MULTICAST>  mtu 1500\n        inet 172.17.0.1  netmask 255.255.0.0  broadcast 172.17.255.255\n';
    expect(parseIfaceAddresses(ip).map((a) => [a.address, formatCidr(a.subnet)])).toEqual([['172.31.99.1', '172.31.99.0/24']]);
    expect(parseIfaceAddresses(busybox).map((a) => formatCidr(a.subnet))).toEqual(['172.17.0.0/16']);
    expect(parseIfaceAddresses(netTools).map((a) => a.prefix)).toEqual([16]);
    expect(parseIfaceAddresses('Device "docker0" does not exist.\n')).toEqual([]);
  });
  it('does ipv4 arithmetic', () => {
    expect(parseIpv4('256.1.1.1')).toBeUndefined();
    expect(formatCidr(parseCidr('10.77.0.11/24')!)).toBe('10.77.0.0/24');
    expect(prefixOfMask('255.255.240.0')).toBe(20);
    expect(prefixOfMask('255.0.255.0')).toBeUndefined();
  });
});

// `iptables -S` of a dockerd 20.10 in its own netns on this host (iptables v1.8.9 nf_tables)
const DOCKER_FILTER = `-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N DOCKER
-N DOCKER-ISOLATION-STAGE-1
-N DOCKER-ISOLATION-STAGE-2
-N DOCKER-USER
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
`;
const DOCKER_NAT = `-P PREROUTING ACCEPT
-P INPUT ACCEPT
-P OUTPUT ACCEPT
-P POSTROUTING ACCEPT
-N DOCKER
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.31.99.0/24 ! -o docker0 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
`;
// netd's chains ahead of docker's (netd sets FORWARD up at boot, dockerd appends later); tetherctrl_FORWARD holds
// the lone DROP that AOSP netd's TetherController installs while tethering is off
const ANDROID_NETD = `-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-N oem_fwd
-N fw_FORWARD
-N bw_FORWARD
-N tetherctrl_FORWARD
-N tetherctrl_counters
-N bw_global_alert
-N DOCKER
-N DOCKER-USER
-A FORWARD -j oem_fwd
-A FORWARD -j fw_FORWARD
-A FORWARD -j bw_FORWARD
-A FORWARD -j tetherctrl_FORWARD
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A bw_FORWARD -m quota2 ! --quota globalAlert --name globalAlert
-A tetherctrl_FORWARD -j DROP
-A DOCKER-USER -j RETURN
`;
const OUT: Packet = { in: 'docker0', out: 'eth0', src: parseIpv4('172.17.0.2')!, dst: parseIpv4('10.77.0.1')!, proto: 'tcp', state: 'NEW' };
const BACK: Packet = { in: 'eth0', out: 'docker0', src: parseIpv4('10.77.0.1')!, dst: parseIpv4('172.17.0.2')!, proto: 'tcp', state: 'ESTABLISHED' };

describe('iptables -S', () => {
  it('parses docker\'s filter table and accepts container traffic both ways', () => {
    const t = parseIptablesRules(DOCKER_FILTER);
    expect(t.unparsed).toEqual([]);
    expect(t.policies.get('FORWARD')).toBe('DROP');
    expect(t.chains.get('FORWARD')).toHaveLength(6);
    const out = traverse(t, 'FORWARD', OUT);
    expect(out.verdict).toBe('ACCEPT');
    expect(out.rule?.raw).toBe('-A FORWARD -i docker0 ! -o docker0 -j ACCEPT');
    expect(traverse(t, 'FORWARD', BACK).rule?.raw).toContain('--ctstate RELATED,ESTABLISHED');
    // anything else hits the DROP policy
    expect(traverse(t, 'FORWARD', { ...OUT, in: 'wlan0' })).toMatchObject({ verdict: 'DROP', policyOf: 'FORWARD' });
  });

  it('finds docker\'s MASQUERADE rule for the bridge subnet only', () => {
    const nat = parseIptablesRules(DOCKER_NAT);
    expect(nat.unparsed).toEqual([]);
    expect(findMasquerade(nat, parseCidr('172.31.99.0/24')!, 'docker0')?.index).toBe(1);
    expect(findMasquerade(nat, parseCidr('172.17.0.0/16')!, 'docker0')).toBeUndefined();
    expect(findMasquerade(parseIptablesRules(DOCKER_NAT.replace(/^-A POSTROUTING.*\n/m, '')), parseCidr('172.31.99.0/24')!, 'docker0')).toBeUndefined();
  });

  it('sees Android\'s tetherctrl_FORWARD DROP ahead of docker\'s ACCEPT, and the seed\'s fix', () => {
    const t = parseIptablesRules(ANDROID_NETD);
    expect(t.unparsed).toEqual([]);
    const v = traverse(t, 'FORWARD', OUT);
    expect(v.verdict).toBe('DROP');
    expect(v.rule?.chain).toBe('tetherctrl_FORWARD');
    expect(v.path).toEqual(['FORWARD', 'tetherctrl_FORWARD']);
    expect(v.uncertain.map((r) => r.raw)).toEqual([]); // the quota2 rule has no target: it only counts
    // seed 000: iptables -D tetherctrl_FORWARD 1
    const fixed = parseIptablesRules(ANDROID_NETD.replace('-A tetherctrl_FORWARD -j DROP\n', ''));
    expect(traverse(fixed, 'FORWARD', OUT).verdict).toBe('ACCEPT');
    expect(traverse(fixed, 'FORWARD', BACK).verdict).toBe('ACCEPT');
  });

  it('follows goto and RETURN, and wildcard interfaces', () => {
    const t = parseIptablesRules(`-P FORWARD DROP
-N a
-N b
-A FORWARD -i docker+ -g a
-A FORWARD -j ACCEPT
-A a -j b
-A a -j REJECT --reject-with icmp-port-unreachable
-A b -p udp -j DROP
-A b -j RETURN
`);
    expect(t.unparsed).toEqual([]);
    const v = traverse(t, 'FORWARD', OUT);
    expect(v).toMatchObject({ verdict: 'REJECT', path: ['FORWARD', 'a'] });
    expect(traverse(t, 'FORWARD', { ...OUT, proto: 'udp' }).rule?.raw).toBe('-A b -p udp -j DROP');
  });

  it('marks rules with undecidable matches as uncertain instead of guessing', () => {
    const t = parseIptablesRules('-P FORWARD ACCEPT\n-A FORWARD -m mark --mark 0x1/0x1 -j DROP\n-A FORWARD -p tcp -m tcp --dport 8080 -m comment --comment "lab endpoint" -j DROP\n');
    const v = traverse(t, 'FORWARD', OUT);
    expect(v.verdict).toBe('ACCEPT');
    expect(v.uncertain).toHaveLength(2);
  });

  it('splits quoted comments and flags garbage or truncated listings', () => {
    expect(splitWords('-A X -m comment --comment "a \\"b\\" c" -j ACCEPT')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'ACCEPT']);
    const garbled = DOCKER_FILTER.slice(0, DOCKER_FILTER.length / 2) + GARBAGE;
    expect(parseIptablesRules(garbled).unparsed.length).toBeGreaterThan(0);
    expect(parseIptablesRules('iptables v1.8.9 (nf_tables): Could not fetch rule set generation id\n').unparsed).toHaveLength(1);
  });
});

describe('resolv.conf and hosts', () => {
  it('reads nameservers and tells loopback ones', () => {
    expect(parseResolvConf('nameserver 10.255.255.53\n').nameservers).toEqual([{ address: '10.255.255.53', loopback: false }]);
    const stub = parseResolvConf('# This is /run/systemd/resolve/stub-resolv.conf\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n');
    expect(stub.nameservers).toEqual([{ address: '127.0.0.53', loopback: true }]);
    expect(parseResolvConf('nameserver fe80::1%eth0\nnameserver ::1\nnameserver dns.example\n')).toEqual({
      nameservers: [
        { address: 'fe80::1%eth0', loopback: false },
        { address: '::1', loopback: true },
      ],
      invalid: ['nameserver dns.example'],
    });
    expect(parseResolvConf('').nameservers).toEqual([]);
  });

  it('finds localhost on IPv4 loopback', () => {
    const host = parseHosts('127.0.0.1 localhost\n127.0.0.1 runsc\n127.0.0.1 vm\n');
    expect(loopbackAddressesOf(host, 'localhost')).toEqual(['127.0.0.1']);
    // the virtual lab's board with no_localhost_in_hosts
    expect(loopbackAddressesOf(parseHosts('10.77.0.11\tvl-linux-1\n10.77.0.1\tlab-host\n'), 'localhost')).toEqual([]);
    // ::1 alone does not serve 127.0.0.1 clients; a comment does not count
    expect(loopbackAddressesOf(parseHosts('::1 localhost\n# 127.0.0.1 localhost\n'), 'localhost')).toEqual([]);
    // seed 002's line
    expect(loopbackAddressesOf(parseHosts('127.0.0.1 localhost localhost\n'), 'localhost')).toEqual(['127.0.0.1']);
  });
});

describe('missing tools', () => {
  const r = (exitCode: number | null, stderr: string, stdout = '') => ({ command: 'x', exitCode, stdout, stderr, durationMs: 1, timedOut: false, board: 'b', transport: 'local' as const });
  it('tells a missing command from a failing one', () => {
    expect(toolMissing(r(127, 'sh: 1: ip: not found\n'))).toBe(true);
    expect(toolMissing(r(1, '/system/bin/sh: ip: inaccessible or not found\n'))).toBe(true);
    expect(toolMissing(r(1, 'cat: /etc/resolv.conf: No such file or directory\n'))).toBe(false);
    expect(toolMissing(r(2, 'iptables v1.4.21: unknown option "-w"\n'))).toBe(false);
  });
  it('tells garbled output', () => {
    expect(garbled(`0:\tfrom all lookup local\n32766:\tfrom all lo${GARBAGE}`)).toBe(true);
    expect(garbled(Buffer.from([0x30, 0xff, 0x0a]).toString('utf8'))).toBe(true);
    expect(garbled(LINUX_RULES + DOCKER_FILTER)).toBe(false);
  });
});

describe('board clock', () => {
  it('reads `date +%s` and nothing else', () => {
    expect(parseEpochSeconds('1796687777\n')).toBe(1796687777);
    expect(parseEpochSeconds('%s\n')).toBeUndefined();
    expect(parseEpochSeconds('1796687777\u0000\u00ff')).toBeUndefined();
    expect(parseEpochSeconds('')).toBeUndefined();
  });
  it('skew is board minus host around the round trip, with its uncertainty', () => {
    const host = 1_796_687_777_000;
    expect(clockSkew({ boardS: 1796687777, hostBeforeMs: host, hostAfterMs: host + 1000 })).toEqual({ skewS: 0, uncertaintyS: 1 });
    // a board still in 2024 (RTC without battery) is ~2.9 years behind
    const behind = clockSkew({ boardS: Date.UTC(2024, 0, 1) / 1000, hostBeforeMs: host, hostAfterMs: host + 20 });
    expect(behind.skewS).toBeLessThan(-90_000_000);
    expect(behind.uncertaintyS).toBe(0.5);
  });
});
