import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { judgeNamespaces, parseNamespaces, parseProcFilesystems } from '../../harness/parse/kernel-runtime.ts';
import { classifySocketAttempt, inetSocketProbeScript, parseInetProbe } from '../../harness/parse/inet-socket.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('namespaces', () => {
  it('reads the netns board listing (ls /proc/self/ns and the user.max_* limits)', () => {
    const r = parseNamespaces(fixture('vl-linux-1-namespaces.txt'));
    expect(r.complete).toBe(true);
    expect([...r.present]).toEqual(expect.arrayContaining(['mnt', 'net', 'pid', 'ipc', 'uts', 'user', 'cgroup']));
    expect(r.limits.get('pid')).toBeGreaterThan(0);
    expect(judgeNamespaces(r, ['mnt', 'net', 'pid', 'ipc', 'uts'])).toEqual({ missing: [], capped: [] });
  });
  it('flags a missing namespace and one capped to 0', () => {
    const r = parseNamespaces('@@ns\nipc\nmnt\nnet\nuts\n@@max\nmax_pid_namespaces 0\nmax_net_namespaces 0\n@@end\n');
    expect(judgeNamespaces(r, ['mnt', 'net', 'pid', 'ipc', 'uts'])).toEqual({ missing: ['pid'], capped: ['net', 'pid'] });
  });
  it('notices a listing cut short', () => {
    expect(parseNamespaces('@@ns\nipc\nm').complete).toBe(false);
  });
});

describe('/proc/filesystems', () => {
  it('takes the last word of each line', () => {
    const fs = parseProcFilesystems('nodev\tsysfs\nnodev\toverlay\n\text4\n\tf2fs\n');
    expect([...fs]).toEqual(['sysfs', 'overlay', 'ext4', 'f2fs']);
    expect(fs.has('nodev')).toBe(false);
  });
});

describe('the paranoid-network probe', () => {
  it('is POSIX sh that ends in a marker and never names bash-only syntax', () => {
    const s = inetSocketProbeScript();
    expect(s).toMatch(/echo "@@end"$/);
    expect(s).not.toMatch(/\[\[|\/dev\/tcp|local /);
  });
  it('reads a real run on a netns board: both sockets opened (connection refused)', () => {
    const p = parseInetProbe(fixture('vl-linux-1-inet-probe.txt'));
    expect(p).toMatchObject({ switcher: 'setpriv', uid: '9999', complete: true });
    expect(p.control?.verdict).toBe('allowed');
    expect(p.other?.verdict).toBe('allowed');
  });
  it('classifies the kernel denial (EACCES from socket()) and exec failures apart', () => {
    expect(classifySocketAttempt('nc: socket: Permission denied', 1)).toBe('denied');
    expect(classifySocketAttempt('nc: socket: Operation not permitted', 1)).toBe('denied');
    expect(classifySocketAttempt("nc: can't connect to remote host (127.0.0.1): Connection refused", 1)).toBe('allowed');
    // the shell could not run nc for that uid: says nothing about sockets
    expect(classifySocketAttempt('sh: 1: nc: Permission denied', 127)).toBe('unknown');
    expect(classifySocketAttempt('\xff\xfe\x1b[7m#%!<garbage', 0)).toBe('allowed');
    expect(classifySocketAttempt('\xff\xfe\x1b[7m#%!<garbage', 1)).toBe('unknown');
  });
  it('reports a denied non-AID_INET uid', () => {
    const p = parseInetProbe('@@switch su 9999\n@@nc toybox nc\n@@control 0\nnc: Connection refused\n@@rc 1\n@@other\nuid=9999(nobody) gid=9999(nobody)\nnc: socket: Permission denied\n@@rc 1\n@@end\n');
    expect(p.other?.verdict).toBe('denied');
    expect(p.control?.verdict).toBe('allowed');
  });
  it('reports no switcher / no nc', () => {
    expect(parseInetProbe('@@switch none \n@@nc none\n@@end\n')).toMatchObject({ switcher: 'none', nc: 'none', complete: true });
  });
});
