#!/usr/bin/env node
// hdcd of a virtual OpenHarmony board: the device side of the hdc stand-in (README.md). It runs inside the
// board's namespaces, started by lab/scripts/board/services.sh: `node hdcd.mjs --listen ADDR:PORT`.
// stdout carries one line, `hdcd listening on ADDR:PORT`, once the port accepts connections.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseKey, readHeader, writeHeader } from './protocol.mjs';

const log = (line) => process.stderr.write(`hdcd: ${line}\n`);

function errText(e) {
  return e?.code === 'ENOENT' ? 'no such file or directory' : e?.code === 'EACCES' ? 'permission denied' : e?.code === 'EISDIR' ? 'is a directory' : String(e?.message ?? e);
}

// Legacy-style shell: stdout and stderr merged in one stream, no exit status (the host recovers it with a marker).
function shell(sock, cmd) {
  const child = spawn('/bin/sh', ['-c', `exec 2>&1\n${cmd}`], { cwd: '/', detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  child.stdout.pipe(sock, { end: false });
  child.stderr.pipe(sock, { end: false });
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    child.stdout.unpipe(sock);
    child.stderr.unpipe(sock);
    sock.end();
  };
  child.on('error', (e) => {
    sock.write(`/bin/sh: ${errText(e)}\n`);
    finish();
  });
  // normally 'close' (exit and both pipes at EOF) ends the session; a background job holding the pipe must not
  // keep it open for ever: its output so far is sent and the session ends shortly after the shell exits
  child.on('close', finish);
  child.on('exit', () => {
    exited = true;
    setTimeout(finish, 300).unref();
  });
  // the host went away (its command timed out): the command goes too, as with a closed adb shell
  sock.on('close', () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  });
}

function send(sock, req) {
  let path = String(req.path ?? '');
  const size = Number(req.size);
  if (!path.startsWith('/') || !Number.isSafeInteger(size) || size < 0) {
    writeHeader(sock, { ok: false, error: 'bad request' });
    return sock.end();
  }
  try {
    if (path.endsWith('/') || statSync(path).isDirectory()) path = join(path, basename(String(req.name ?? 'file')));
  } catch {}
  const tmp = join(dirname(path), `.${basename(path)}.hdc-${process.pid}`);
  const out = createWriteStream(tmp, { mode: 0o644 });
  let got = 0;
  let failed = false;
  const fail = (e) => {
    if (failed) return;
    failed = true;
    rmSync(tmp, { force: true });
    writeHeader(sock, { ok: false, error: `Error opening file: ${errText(e)}, path:${path}` });
    sock.end();
  };
  out.on('error', fail);
  const onData = (chunk) => {
    const take = chunk.subarray(0, size - got);
    got += take.length;
    if (!out.write(take)) {
      sock.pause();
      out.once('drain', () => sock.resume());
    }
    if (got >= size) {
      sock.off('data', onData);
      out.end();
    }
  };
  out.on('finish', () => {
    if (failed) return;
    try {
      renameSync(tmp, path);
      if (req.mode !== undefined) chmodSync(path, Number(req.mode) & 0o7777);
      writeHeader(sock, { ok: true, path, size: got });
      sock.end();
    } catch (e) {
      fail(e);
    }
  });
  if (size === 0) out.end();
  else {
    sock.on('data', onData);
    sock.resume();
  }
  sock.on('close', () => {
    if (got < size) {
      failed = true;
      out.destroy();
      rmSync(tmp, { force: true });
    }
  });
}

function recv(sock, req) {
  const path = String(req.path ?? '');
  let st;
  try {
    st = statSync(path);
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'EINVAL' });
  } catch (e) {
    writeHeader(sock, { ok: false, error: `Error opening file: ${errText(e)}, path:${path}` });
    return sock.end();
  }
  const input = createReadStream(path);
  input.once('open', () => {
    writeHeader(sock, { ok: true, size: st.size, mode: st.mode & 0o7777 });
    input.pipe(sock);
  });
  input.once('error', (e) => {
    writeHeader(sock, { ok: false, error: `Error opening file: ${errText(e)}, path:${path}` });
    sock.end();
  });
}

// fport: the device end of a forwarded connection, to a TCP port on the board's loopback or a unix socket
function forward(sock, req) {
  const target = req.unix ? { path: String(req.unix) } : { host: '127.0.0.1', port: Number(req.tcp) };
  const peer = connect(target);
  let connected = false;
  peer.once('connect', () => {
    connected = true;
    writeHeader(sock, { ok: true });
    sock.pipe(peer);
    peer.pipe(sock);
    sock.resume();
  });
  peer.once('error', (e) => {
    if (!connected) {
      writeHeader(sock, { ok: false, error: errText(e) });
      sock.end();
    } else sock.destroy();
  });
  sock.on('error', () => peer.destroy());
  sock.on('close', () => peer.destroy());
  peer.on('close', () => sock.end());
}

function boot(sock) {
  writeHeader(sock, { ok: true });
  sock.end(() => {
    // the board tool signals the board init, which power-cycles every service (this daemon included)
    spawn('reboot', [], { detached: true, stdio: 'ignore' }).on('error', (e) => log(`reboot: ${e.message}`)).unref();
  });
}

async function handle(sock) {
  sock.on('error', () => {});
  let req;
  try {
    req = await readHeader(sock, 10_000);
  } catch (e) {
    log(`bad request: ${e.message}`);
    return sock.destroy();
  }
  switch (req.op) {
    case 'hello':
      writeHeader(sock, { ok: true, name: hostname(), daemon: 'edgecert-hdcd' });
      return sock.end();
    case 'shell':
      return shell(sock, String(req.cmd ?? ''));
    case 'send':
      return send(sock, req);
    case 'recv':
      return recv(sock, req);
    case 'connect':
      return forward(sock, req);
    case 'boot':
      return boot(sock);
    default:
      writeHeader(sock, { ok: false, error: `unknown request ${String(req.op)}` });
      return sock.end();
  }
}

const { values } = parseArgs({ options: { listen: { type: 'string' } }, strict: true });
const addr = parseKey(values.listen);
if (!addr) {
  process.stderr.write('usage: hdcd.mjs --listen ADDR:PORT\n');
  process.exit(2);
}
const server = createServer({ allowHalfOpen: true }, (sock) => void handle(sock));
server.on('error', (e) => {
  log(`cannot listen on ${values.listen}: ${e.message}`);
  process.exit(1);
});
server.listen(addr.port, addr.host, () => process.stdout.write(`hdcd listening on ${addr.host}:${server.address().port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
}
