import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const holderScript = join(here, 'fixtures', 'holder.ts');

export interface HolderEvent {
  event: string;
  pid: number;
  board?: string;
  expiresAt?: number;
  message?: string;
}

export interface Holder {
  child: ChildProcess;
  events: HolderEvent[];
  stderr: () => string;
  /** Resolves with the first event of that name (already seen or future). */
  next(event: string, timeoutMs?: number): Promise<HolderEvent>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export function spawnHolder(mode: 'race' | 'unsafe' | 'hold' | 'hold-own-signals' | 'released', cfg: Record<string, unknown>, env: Record<string, string> = {}): Holder {
  const child = spawn(process.execPath, ['--import', 'tsx', holderScript, mode, JSON.stringify(cfg)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const events: HolderEvent[] = [];
  const waiters: { event: string; resolve: (e: HolderEvent) => void }[] = [];
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as HolderEvent;
    events.push(e);
    for (const w of waiters.filter((w) => w.event === e.event)) w.resolve(e);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      res({ code, signal });
    }),
  );
  return {
    child,
    events,
    stderr: () => err,
    exited,
    next(event, timeoutMs = 20_000) {
      const seen = events.find((e) => e.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`holder ${child.pid}: no "${event}" within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        waiters.push({ event, resolve: (e) => (clearTimeout(t), resolve(e)) });
        void exited.then(({ code, signal }) => reject(new Error(`holder ${child.pid} exited (${code ?? signal}) before "${event}"; stderr: ${err}`)));
      });
    },
  };
}

export function tempDir(prefix = 'edgecert-alloc-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(d);
  return d;
}

/** afterEach: no child or temp dir outlives its test. */
export async function cleanup(): Promise<void> {
  const waits = [...children].map((c) => new Promise<void>((res) => (c.exitCode !== null || c.signalCode !== null ? res() : (c.once('exit', () => res()), c.kill('SIGKILL')))));
  await Promise.all(waits);
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
