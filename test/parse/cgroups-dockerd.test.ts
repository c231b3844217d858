import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cgroupParent, daemonJsonPath, dockerdForSocket, flagValues, parseDockerdProcs } from '../../harness/parse/dockerd-cmdline.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('which dockerd serves the board, and its cgroup parent', () => {
  it('keeps only the dockerd of the shell\'s mount namespace (netns boards share one pid namespace)', () => {
    const all = fixture('vl-linux-1-dockerd-procs.txt');
    const mine = parseDockerdProcs(all);
    expect(all.match(/^@@pid /gm)!.length).toBeGreaterThan(1);
    expect(mine.length).toBe(1);
    const d = dockerdForSocket(mine, '/var/run/docker.sock')!;
    expect(cgroupParent(d.argv, undefined)).toEqual({ parent: 'edgecert-vl-linux-1', source: 'dockerd --cgroup-parent' });
  });
  it('matches -H forms and the /run = /var/run alias; no -H means the default socket', () => {
    const procs = [
      { pid: 1, mntNs: '', argv: ['dockerd', '-H', 'tcp://0.0.0.0:2375', '-H', 'unix:///var/run/docker.sock'] },
      { pid: 2, mntNs: '', argv: ['dockerd', '--host=unix:///tmp/x.sock'] },
    ];
    expect(dockerdForSocket(procs, '/run/docker.sock')?.pid).toBe(1);
    expect(dockerdForSocket(procs, '/tmp/x.sock')?.pid).toBe(2);
    expect(dockerdForSocket([{ pid: 3, mntNs: '', argv: ['dockerd', '-D'] }], '/var/run/docker.sock')?.pid).toBe(3);
  });
  it('falls back to daemon.json, then to docker\'s default for the cgroup driver', () => {
    expect(cgroupParent(['dockerd'], '{"cgroup-parent": "/edge"}').parent).toBe('/edge');
    expect(cgroupParent(['dockerd'], '{"registry-mirrors":["https://docker.mirrors.ustc.edu.cn"],"experimental":true}').parent).toBe('/docker');
    expect(cgroupParent(['dockerd', '--exec-opt', 'native.cgroupdriver=systemd'], undefined).parent).toBe('/system.slice');
    expect(cgroupParent(['dockerd'], '\xff\xfe garbage').parent).toBe('/docker');
  });
  it('reads flag values in every spelling', () => {
    expect(flagValues(['--config-file=/data/etc/docker/daemon.json'], '--config-file')).toEqual(['/data/etc/docker/daemon.json']);
    expect(daemonJsonPath(['dockerd'])).toBe('/etc/docker/daemon.json');
  });
});
