// What real hdc keeps in its host server (connected targets, port forwards) the stand-in keeps in a small
// JSON file, so that each CLI call can stay a short-lived process. Changes happen under a file lock.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

export function stateDir() {
  return process.env.EDGECERT_HDC_STATE ?? join(tmpdir(), `edgecert-hdc-${process.getuid?.() ?? 0}`);
}

const file = () => join(stateDir(), 'state.json');

export function readState() {
  try {
    const s = JSON.parse(readFileSync(file(), 'utf8'));
    return { targets: Array.isArray(s.targets) ? s.targets : [], forwards: Array.isArray(s.forwards) ? s.forwards : [] };
  } catch {
    return { targets: [], forwards: [] };
  }
}

function writeState(s) {
  const tmp = `${file()}.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 1)}\n`);
  renameSync(tmp, file());
}

/** Read, change and write the state under the lock; `change` may be async and returns its own result. */
export async function updateState(change) {
  mkdirSync(stateDir(), { recursive: true, mode: 0o700 });
  const release = await lockfile.lock(stateDir(), {
    lockfilePath: join(stateDir(), 'state.lock'),
    stale: 10_000,
    retries: { retries: 100, minTimeout: 20, maxTimeout: 200 },
  });
  try {
    const s = readState();
    const result = await change(s);
    writeState(s);
    return result;
  } finally {
    await release();
  }
}

export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
