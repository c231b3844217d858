// Wire format between the hdc stand-in (CLI and forwarders) and hdcd on the board: one JSON header line each
// way, then raw bytes (shell output, file contents, a forwarded connection). Not real hdc's protocol: see README.md.
import { connect } from 'node:net';

export const MAX_HEADER = 64 * 1024;

export function writeHeader(sock, obj) {
  sock.write(`${JSON.stringify(obj)}\n`);
}

/** Read one header line; bytes after it are pushed back so the next reader (a pipe) sees them. */
export function readHeader(sock, timeoutMs = 0) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let timer;
    const cleanup = () => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
    };
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > MAX_HEADER) {
          cleanup();
          reject(new Error('header too long'));
        }
        return;
      }
      cleanup();
      sock.pause();
      const rest = buf.subarray(nl + 1);
      if (rest.length) sock.unshift(rest);
      try {
        resolve(JSON.parse(buf.subarray(0, nl).toString('utf8')));
      } catch (e) {
        reject(new Error(`bad header: ${e.message}`));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('connection closed before the header'));
    };
    const onError = (e) => {
      cleanup();
      reject(e);
    };
    if (timeoutMs) {
      timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('error', onError);
  });
}

/** `host:port` of a TCP connect key. */
export function parseKey(key) {
  const m = /^(.+):(\d{1,5})$/.exec(key ?? '');
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1].replace(/^\[(.*)\]$/, '$1'), port } : undefined;
}

/** Open a connection to the daemon of a connect key and send the request header. */
export function openDaemon(key, header, timeoutMs = 3000) {
  const addr = parseKey(key);
  if (!addr) return Promise.reject(new Error(`not a TCP connect key: ${key}`));
  return new Promise((resolve, reject) => {
    const sock = connect({ host: addr.host, port: addr.port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.off('error', onError);
      writeHeader(sock, header);
      resolve(sock);
    });
    const onError = (e) => {
      clearTimeout(timer);
      reject(e);
    };
    sock.once('error', onError);
  });
}
