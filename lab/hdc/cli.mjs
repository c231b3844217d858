// The hdc stand-in CLI: real hdc's argument syntax and output wording for the commands edgecert uses
// (README.md lists them, and what differs). Like real hdc, it exits 0 when it ran: callers look for `[Fail]`.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDaemon, parseKey, readHeader } from './protocol.mjs';
import { pidAlive, readState, updateState } from './state.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VERSION = 'Ver: 0.0.0a (edgecert hdc stand-in)';
const NO_TARGET = '[Fail]Not match target founded, check connect-key please';
const NEED_KEY = '[Fail]ExecuteCommand need connect-key? please confirm a device by help info';
const BAD_FORWARD = '[Fail]Incorrect forward command';

const out = (line) => process.stdout.write(`${line}\n`);

async function hello(key, timeoutMs = 1500) {
  try {
    const sock = await openDaemon(key, { op: 'hello' }, timeoutMs);
    const answer = await readHeader(sock, timeoutMs).finally(() => sock.destroy());
    return answer.ok ? answer : undefined;
  } catch {
    return undefined;
  }
}

/** Targets whose daemon answers now; real hdc drops a TCP session whose device went away. */
async function liveTargets() {
  const { targets } = readState();
  const alive = await Promise.all(targets.map(async (key) => ((await hello(key)) ? key : undefined)));
  return alive.filter(Boolean);
}

async function resolveTarget(key) {
  if (key) {
    // only the named target is asked: a dead one elsewhere in the list must not slow every call
    if (readState().targets.includes(key) && (await hello(key))) return key;
    out(NO_TARGET);
    return undefined;
  }
  const live = await liveTargets();
  if (live.length === 1) return live[0];
  out(live.length ? NEED_KEY : NO_TARGET);
  return undefined;
}

async function listTargets(verbose) {
  const { targets } = readState();
  const answers = await Promise.all(targets.map((key) => hello(key)));
  const lines = targets
    .map((key, i) => (verbose ? `${key}\t\tTCP\t${answers[i] ? 'Connected' : 'Offline'}\t${answers[i]?.name ?? 'unknown...'}\thdc` : answers[i] ? key : undefined))
    .filter(Boolean);
  out(lines.length ? lines.join('\n') : '[Empty]');
}

async function tconn(key, remove) {
  if (!parseKey(key)) return out(`[Fail]Connect failed`);
  if (remove) {
    await updateState((s) => {
      s.targets = s.targets.filter((k) => k !== key);
      for (const f of s.forwards.filter((f) => f.key === key)) stopForwarder(f.pid);
      s.forwards = s.forwards.filter((f) => f.key !== key);
    });
    return;
  }
  if (!(await hello(key, 3000))) return out('[Fail]Connect failed');
  const known = await updateState((s) => {
    const had = s.targets.includes(key);
    if (!had) s.targets.push(key);
    return had;
  });
  out(known ? '[Info]Target is connected, repeat operation' : 'Connect OK');
}

async function shell(key, words) {
  if (!words.length) return out('[Fail]interactive shell is not supported by the edgecert hdc stand-in');
  const target = await resolveTarget(key);
  if (!target) return;
  const sock = await openDaemon(target, { op: 'shell', cmd: words.join(' ') }).catch(() => undefined);
  if (!sock) return out(NO_TARGET);
  await new Promise((resolve) => {
    sock.on('data', (chunk) => process.stdout.write(chunk));
    sock.once('close', resolve);
    sock.once('error', resolve);
  });
}

function transferLine(size, ms) {
  const rate = ms > 0 ? size / ms : size;
  return `FileTransfer finish, Size:${size}, File count = 1, time:${ms}ms rate:${rate.toFixed(2)}kB/s`;
}

const FILE_FLAGS = new Set(['-a', '-z', '-sync', '-m', '-cwd']);

async function file(key, args) {
  const [verb, ...rest] = args;
  const flags = rest.filter((a) => FILE_FLAGS.has(a));
  const paths = rest.filter((a) => !FILE_FLAGS.has(a));
  if ((verb !== 'send' && verb !== 'recv') || paths.length !== 2) return out('[Fail]Unknown operation command...');
  const target = await resolveTarget(key);
  if (!target) return;
  const t0 = Date.now();
  if (verb === 'send') {
    const [local, remote] = paths;
    let st;
    try {
      st = statSync(local);
      if (!st.isFile()) throw Object.assign(new Error(), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
    } catch (e) {
      const why = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EISDIR' ? 'directories are not supported by the stand-in' : 'not a regular file';
      return out(`[Fail]Error opening file: ${why}, path:${local}`);
    }
    const header = { op: 'send', path: remote, name: basename(local), size: st.size };
    if (flags.includes('-m')) header.mode = st.mode & 0o7777;
    const sock = await openDaemon(target, header).catch(() => undefined);
    if (!sock) return out(NO_TARGET);
    createReadStream(local).pipe(sock, { end: false });
    const answer = await readHeader(sock).catch((e) => ({ ok: false, error: `transfer interrupted: ${e.message}` }));
    sock.destroy();
    return out(answer.ok ? transferLine(answer.size, Date.now() - t0) : `[Fail]${answer.error}`);
  }
  const [remote, local] = paths;
  const sock = await openDaemon(target, { op: 'recv', path: remote }).catch(() => undefined);
  if (!sock) return out(NO_TARGET);
  const answer = await readHeader(sock).catch((e) => ({ ok: false, error: `transfer interrupted: ${e.message}` }));
  if (!answer.ok) {
    sock.destroy();
    return out(`[Fail]${answer.error}`);
  }
  let dest = local;
  try {
    if (statSync(local).isDirectory()) dest = join(local, basename(remote));
  } catch {}
  const tmp = join(dirname(dest), `.${basename(dest)}.hdc-${process.pid}`);
  const ok = await new Promise((resolve) => {
    const w = createWriteStream(tmp);
    w.once('error', (e) => resolve(e));
    w.once('finish', () => resolve(true));
    sock.pipe(w);
    sock.resume();
  });
  if (ok !== true) {
    rmSync(tmp, { force: true });
    return out(`[Fail]Error opening file: ${ok.code === 'ENOENT' ? 'no such file or directory' : ok.message}, path:${local}`);
  }
  const size = statSync(tmp).size;
  if (size !== answer.size) {
    rmSync(tmp, { force: true });
    return out(`[Fail]Transfer incomplete: got ${size} of ${answer.size} bytes`);
  }
  renameSync(tmp, dest);
  out(transferLine(size, Date.now() - t0));
}

function stopForwarder(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {}
}

const LOCAL_RE = /^tcp:(\d{1,5})$/;
const REMOTE_RE = /^(tcp:\d{1,5}|localfilesystem:\/.+)$/;

async function fport(key, args) {
  if (args[0] === 'ls') {
    const lines = await updateState((s) => {
      s.forwards = s.forwards.filter((f) => pidAlive(f.pid));
      return s.forwards.map((f) => `${f.key}    ${f.local} ${f.remote}    [Forward]`);
    });
    return out(lines.length ? lines.join('\n') : '[Empty]');
  }
  if (args[0] === 'rm') {
    const task = args.slice(1).join(' ').trim().replace(/\s+/g, ' ');
    const removed = await updateState((s) => {
      const f = s.forwards.find((x) => `${x.local} ${x.remote}` === task && (!key || x.key === key));
      if (!f) return false;
      stopForwarder(f.pid);
      s.forwards = s.forwards.filter((x) => x !== f);
      return true;
    });
    return out(removed ? `Remove forward ruler success, ruler:${task}` : `[Fail]Remove forward ruler failed, ruler is not exist ${task}`);
  }
  const [local, remote] = args.length === 1 ? args[0].split(/\s+/) : args;
  const lport = Number(LOCAL_RE.exec(local ?? '')?.[1]);
  if (args.length > 2 || !(lport >= 1 && lport <= 65535) || !REMOTE_RE.test(remote ?? '')) return out(BAD_FORWARD);
  const target = await resolveTarget(key);
  if (!target) return;
  const child = spawn(process.execPath, [join(here, 'forwarder.mjs'), target, local, remote], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const first = await new Promise((resolve) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      if (text.includes('\n')) resolve(text.trim());
    });
    child.once('exit', () => resolve(text.trim() || 'FAIL exited'));
  });
  child.stdout.destroy();
  child.unref();
  if (first !== 'OK') return out(`[Fail]TCP Port listen failed at ${lport}`);
  await updateState((s) => {
    s.forwards.push({ key: target, local, remote, pid: child.pid });
  });
  out('Forwardport result:OK');
}

async function targetBoot(key) {
  const target = await resolveTarget(key);
  if (!target) return;
  const sock = await openDaemon(target, { op: 'boot' }).catch(() => undefined);
  if (!sock) return out(NO_TARGET);
  await readHeader(sock, 5000).catch(() => undefined);
  sock.destroy();
}

async function killServer() {
  await updateState((s) => {
    for (const f of s.forwards) stopForwarder(f.pid);
    s.forwards = [];
    s.targets = [];
  });
  out('Kill server finish');
}

const HELP = `OpenHarmony device connector (edgecert hdc stand-in: a subset, see lab/hdc/README.md)
 -t connectkey                 - Use device with given connect key
 list targets [-v]             - List all devices status, -v for detail
 tconn key [-remove]           - Connect device via TCP (ip:port), -remove to disconnect
 shell command                 - Run a shell command (stderr merged, exit status not returned)
 file send local remote        - Send a file to the device
 file recv remote local        - Receive a file from the device
 fport localnode remotenode    - Forward local tcp:PORT to device tcp:PORT or localfilesystem:PATH
 fport ls | fport rm taskstr   - List or remove forward rules
 target boot                   - Reboot the device
 kill [-r] | start [-r]        - Stop forwards and forget targets | no-op
 version | checkserver | help`;

export async function main(argv) {
  let key;
  const args = [...argv];
  // global options come before the command, as with real hdc
  while (args.length) {
    if (args[0] === '-t' && args.length > 1) {
      key = args[1];
      args.splice(0, 2);
    } else if ((args[0] === '-l' || args[0] === '-s') && args.length > 1) args.splice(0, 2);
    else if (/^-t./.test(args[0])) key = args.shift().slice(2);
    else break;
  }
  const [cmd, ...rest] = args;
  switch (cmd) {
    case 'list':
      return rest[0] === 'targets' ? listTargets(rest.includes('-v')) : out('[Fail]Unknown operation command...');
    case 'tconn':
      return tconn(rest[0], rest.includes('-remove'));
    case 'shell':
      return shell(key, rest);
    case 'file':
      return file(key, rest);
    case 'fport':
      return fport(key, rest);
    case 'target':
      return rest[0] === 'boot' ? targetBoot(key) : out('[Fail]Unknown operation command...');
    case 'kill':
      return killServer();
    case 'start':
      return;
    case 'version':
    case '-v':
      return out(VERSION);
    case 'checkserver':
      return out(`Client version: ${VERSION}, server version: ${VERSION}`);
    case undefined:
    case 'help':
    case '-h':
      return out(HELP);
    default:
      return out('[Fail]Unknown operation command...');
  }
}
