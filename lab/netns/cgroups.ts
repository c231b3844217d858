// Every process of a netns board (its init, services, sessions and containers) lives under the cgroup
// `edgecert-<board>` of each v1 hierarchy, so even after a crashed `lab up` they can all be found and ended.
import { existsSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readText, sleep } from './host.ts';
import { CGROUP_PREFIX } from './paths.ts';

const ROOT = '/sys/fs/cgroup';

function hierarchies(): string[] {
  try {
    return readdirSync(ROOT)
      .map((h) => join(ROOT, h))
      .filter((d) => existsSync(join(d, 'cgroup.procs')));
  } catch {
    return [];
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

/** Cgroup names of the lab present in any hierarchy (`edgecert-<board>`). */
export function labCgroups(): string[] {
  const names = new Set<string>();
  for (const h of hierarchies()) for (const d of subdirs(h)) if (d.slice(h.length + 1).startsWith(CGROUP_PREFIX)) names.add(d.slice(h.length + 1));
  return [...names].sort();
}

/** Pids in the cgroup tree `name`, across every hierarchy. */
export function cgroupPids(name: string): number[] {
  const pids = new Set<number>();
  const walk = (dir: string) => {
    for (const p of (readText(join(dir, 'cgroup.procs')) ?? '').split('\n')) if (p) pids.add(Number(p));
    for (const d of subdirs(dir)) walk(d);
  };
  for (const h of hierarchies()) if (existsSync(join(h, name))) walk(join(h, name));
  return [...pids];
}

/** SIGKILL everything in the tree until it is empty (a dying shell may still fork), then remove the cgroups. */
export async function destroyCgroup(name: string): Promise<{ killed: number; left: number[] }> {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = cgroupPids(name);
    if (!pids.length) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    await sleep(round < 5 ? 50 : 200);
  }
  const left = cgroupPids(name);
  if (!left.length) {
    // a task that has just been killed keeps its cgroup busy for a moment
    for (let i = 0; i < 20; i++) {
      let done = true;
      for (const h of hierarchies()) done = removeTree(join(h, name)) && done;
      if (done) break;
      await sleep(50);
    }
  }
  return { killed, left };
}

function removeTree(dir: string): boolean {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return true;
  let ok = true;
  for (const d of subdirs(dir)) ok = removeTree(d) && ok;
  try {
    rmdirSync(dir);
  } catch {
    ok = false;
  }
  return ok;
}
