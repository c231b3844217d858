import { describe, expect, it } from 'vitest';
import { assessDockerdTcp, parseDaemonJson, parseDockerdArgv, parseDockerdProbe, tcpHostExposed } from '../../harness/parse/security-dockerd.ts';
import { edgecoreTlsPaths, parseFileModes, worldReadable } from '../../harness/parse/security-files.ts';
import { parseSelinuxMode, selinuxFinding } from '../../harness/parse/security-selinux.ts';
import { describeListener, parseProcNetTcp, socketInodes } from '../../harness/parse/security-sockets.ts';

// /proc/net/tcp and tcp6 of a netns on this host with listeners on 0.0.0.0:2375, 127.0.0.1:10550, [::]:5555, [::1]:8080
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2936 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 152745 1 00000000f5e6ab99 100 0 0 10 0
   1: 00000000:0947 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 152742 1 00000000aa35dc8f 100 0 0 10 0
   6: 0100007F:A499 0100007F:A132 06 00000000:00000000 03:0000031A 00000000     0        0 0 3 00000000cc6978da
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 152744 1 0000000066646ee5 100 0 0 10 0
   1: 00000000000000000000000000000000:15B3 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 152743 1 00000000e2835c77 100 0 0 10 0
`;

describe('/proc/net/tcp', () => {
  it('lists listeners with decoded addresses, skipping other states', () => {
    const v4 = parseProcNetTcp(TCP, 4);
    expect(v4.unparsed).toEqual([]);
    expect(v4.listeners.map((l) => [describeListener(l), l.loopback, l.wildcard, l.inode])).toEqual([
      ['127.0.0.1:10550', true, false, '152745'],
      ['0.0.0.0:2375', false, true, '152742'],
    ]);
    const v6 = parseProcNetTcp(TCP6, 6);
    expect(v6.listeners.map((l) => [describeListener(l), l.loopback, l.wildcard])).toEqual([
      ['[::1]:8080', true, false],
      ['[::]:5555', false, true],
    ]);
  });
  it('decodes the lab bridge address and IPv4-mapped IPv6', () => {
    const l = parseProcNetTcp('   5: 01004D0A:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 122647 1 0 100 0 0 10 0\n', 4).listeners[0]!;
    expect(describeListener(l)).toBe('10.77.0.1:8080');
    const m = parseProcNetTcp('   0: 0000000000000000FFFF00000100007F:0947 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 9 1\n', 6).listeners[0]!;
    expect(m).toMatchObject({ address: '::ffff:127.0.0.1', loopback: true });
  });
  it('flags garbage', () => {
    expect(parseProcNetTcp(`${TCP.slice(0, 200)}\n\xff\xfe<garbage\n`, 4).unparsed.length).toBeGreaterThan(0);
  });
  it('collects socket inodes from ls -l /proc/PID/fd (busybox and toybox)', () => {
    expect([...socketInodes('lrwx------    1 root     root            64 Nov 21 23:56 11 -> socket:[70408]\nlrwx------ 1 root root 64 Nov 22 00:00 3 -> socket:[125031]\n')]).toEqual(['70408', '125031']);
  });
});

// DOCKERD_PROBE output on this host: one netns board's dockerd of the virtual lab
const PROBE = `@@selfmnt mnt:[4026532712]
@@tcp
${TCP}@@tcp6
${TCP6}@@mnt 11835 mnt:[4026532712]
@@argv 11835
/usr/sbin/dockerd
--data-root
/var/lib/docker
-H
unix:///var/run/docker.sock
-H
tcp://0.0.0.0:2375
--tls=false
--bip
172.30.54.1/24

@@env 11835
@@fd 11835
lrwx------ 1 root root 64 Nov 22 00:00 10 -> socket:[125392]
lrwx------ 1 root root 64 Nov 22 00:00 11 -> socket:[152742]
@@mnt 11850 mnt:[4026532801]
@@argv 11850
/usr/sbin/dockerd
-H
tcp://0.0.0.0:2375

@@env 11850
@@fd 11850
@@end
`;

describe('dockerd on TCP', () => {
  it('parses the probe and finds dockerd owning 0.0.0.0:2375 without TLS (seed 002 step 8)', () => {
    const p = parseDockerdProbe(PROBE);
    expect(p.complete).toBe(true);
    // 11850 is another board's dockerd (same pid namespace, other mount namespace)
    expect(p.daemons.map((d) => d.pid)).toEqual([11835]);
    const d = p.daemons[0]!;
    expect(d.sockets.has('152742')).toBe(true);
    const config = parseDockerdArgv(d.argv);
    expect(config).toEqual({ hosts: ['unix:///var/run/docker.sock', 'tcp://0.0.0.0:2375'], tls: false });
    const listeners = [...parseProcNetTcp(p.tcp, 4).listeners, ...parseProcNetTcp(p.tcp6, 6).listeners];
    const r = assessDockerdTcp({ daemons: [{ pid: d.pid, config, sockets: d.sockets }], listeners });
    expect(r.reasons).toEqual(['dockerd (pid 11835) listens on 0.0.0.0:2375 without TLS: anyone reaching that address controls the board as root']);
  });

  it('accepts the unix socket only, loopback TCP, and --tlsverify', () => {
    const listeners = parseProcNetTcp(TCP, 4).listeners;
    const unixOnly = assessDockerdTcp({ daemons: [{ pid: 1, config: parseDockerdArgv(['dockerd', '-H', 'unix:///var/run/docker.sock']), sockets: new Set(['1']) }], listeners: [] });
    expect(unixOnly.reasons).toEqual([]);
    const loop = assessDockerdTcp({ daemons: [{ pid: 1, config: parseDockerdArgv(['dockerd', '--host=tcp://127.0.0.1:10550']), sockets: new Set(['152745']) }], listeners: listeners.filter((l) => l.loopback) });
    expect(loop.reasons).toEqual([]);
    expect(loop.notes[0]).toMatch(/loopback/);
    const mtls = assessDockerdTcp({ daemons: [{ pid: 1, config: parseDockerdArgv(['dockerd', '-H', 'tcp://0.0.0.0:2375', '--tlsverify']), sockets: new Set(['152742']) }], listeners });
    expect(mtls.reasons).toEqual([]);
    expect(mtls.notes[0]).toMatch(/mutual TLS/);
  });

  it('flags --tls without --tlsverify, daemon.json hosts, strays on 2375 and an inventory docker.tcp', () => {
    const listeners = parseProcNetTcp(TCP, 4).listeners;
    const tlsOnly = assessDockerdTcp({ daemons: [{ pid: 7, config: parseDockerdArgv(['dockerd', '-Htcp://0.0.0.0:2375', '--tls']), sockets: new Set(['152742']) }], listeners });
    expect(tlsOnly.reasons[0]).toMatch(/--tls but without --tlsverify/);
    const json = parseDaemonJson('{"hosts": ["tcp://:2375", "unix:///var/run/docker.sock"], "experimental": true}')!;
    const cfgOnly = assessDockerdTcp({ daemons: [{ pid: 8, config: json, sockets: new Set() }], listeners: [] });
    expect(cfgOnly.reasons[0]).toBe('dockerd (pid 8) is configured with -H tcp://:2375 without TLS');
    const stray = assessDockerdTcp({ daemons: [], listeners, inventoryTcp: '10.77.0.12:2375' });
    expect(stray.reasons).toEqual([
      'a process other than dockerd listens on 0.0.0.0:2375 (docker\'s plain-HTTP API port)',
      'the inventory reaches this board\'s dockerd over plain TCP (docker.tcp: 10.77.0.12:2375)',
    ]);
  });

  it('reads host forms and daemon.json', () => {
    expect(['tcp://0.0.0.0:2375', 'tcp://:2375', 'tcp://[::]:2375', 'tcp://192.168.1.5'].map(tcpHostExposed)).toEqual([true, true, true, true]);
    expect(['tcp://127.0.0.1:2375', 'tcp://localhost:2375', 'tcp://[::1]:2375', 'unix:///var/run/docker.sock', 'fd://'].map(tcpHostExposed)).toEqual([false, false, false, false, false]);
    // seed 002's daemon.json
    expect(parseDaemonJson('{"registry-mirrors":["https://docker.mirrors.ustc.edu.cn"],"experimental":true}')).toEqual({ hosts: [], tls: undefined, tlsverify: undefined });
    expect(parseDaemonJson('not json')).toBeUndefined();
    expect(parseDockerdArgv(['dockerd', '--config-file', '/data/etc/docker/daemon.json', '--tlsverify=false']).tlsverify).toBe(false);
  });
});

describe('SELinux', () => {
  it('reads getenforce and the enforce file', () => {
    expect(parseSelinuxMode('Permissive\n', undefined)).toEqual({ mode: 'permissive', from: 'getenforce' });
    expect(parseSelinuxMode(undefined, '1')).toEqual({ mode: 'enforcing', from: '/sys/fs/selinux/enforce' });
    expect(parseSelinuxMode('Disabled', undefined)?.mode).toBe('disabled');
    expect(parseSelinuxMode('\xff\xfegarbage', undefined)).toBeUndefined();
  });
  it('makes permissive a finding everywhere, absent only on Android/OpenHarmony', () => {
    expect(selinuxFinding('enforcing', 'android')).toBeUndefined();
    expect(selinuxFinding('permissive', 'linux')).toMatch(/setenforce 0/);
    expect(selinuxFinding('absent', 'linux')).toBeUndefined();
    expect(selinuxFinding('disabled', 'openharmony')).toMatch(/OpenHarmony/);
    expect(selinuxFinding('absent', 'android')).toMatch(/not present/);
  });
});

describe('credential file modes', () => {
  it('reads stat -c "%a %n" and ls -ldL lines', () => {
    const out = '600 /etc/kubeedge/token\n644 /etc/kubeedge/ca/rootCA.crt\n-rw-r--r--    1 root     root          1675 Nov 22 00:02 /etc/kubeedge/certs/server.key\n-rw------- 1 0 0 2 Nov 22 00:02 /etc/kubeedge/certs/server.crt\n';
    const { files, unparsed } = parseFileModes(out);
    expect(unparsed).toEqual([]);
    expect(files.map((f) => [f.path, f.mode.toString(8), worldReadable(f)])).toEqual([
      ['/etc/kubeedge/token', '600', false],
      ['/etc/kubeedge/ca/rootCA.crt', '644', true],
      ['/etc/kubeedge/certs/server.key', '644', true],
      ['/etc/kubeedge/certs/server.crt', '600', false],
    ]);
    expect(parseFileModes('\xff\xfe<garbage\n').unparsed).toHaveLength(1);
  });
  it('takes the TLS paths of edgecore.yaml (seed 002 reference config)', () => {
    const grep = '    tlsCaFile: /etc/kubeedge/ca/rootCA.crt\n    tlsCertFile: "/etc/kubeedge/certs/server.crt"\n    tlsPrivateKeyFile: /data/kubeedge/server.key # moved\n';
    expect(edgecoreTlsPaths(grep)).toEqual(['/etc/kubeedge/ca/rootCA.crt', '/etc/kubeedge/certs/server.crt', '/data/kubeedge/server.key']);
  });
});
