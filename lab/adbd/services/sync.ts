import { constants as fsc, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ServiceHandler, StreamIo } from '../stream.ts';

// sync: is a byte stream, not a packet protocol: hosts pack several requests into one WRTE or split one across two,
// so requests are parsed from a queue of bytes, never from WRTE boundaries.

/** Largest DATA chunk either side may send. */
export const SYNC_DATA_MAX = 64 * 1024;
const PATH_MAX = 1024;

const id = (s: string) => Buffer.from(s, 'latin1');
const ID = { STAT: 'STAT', LIST: 'LIST', SEND: 'SEND', RECV: 'RECV', QUIT: 'QUIT', DATA: 'DATA', DONE: 'DONE' };

function frame(name: string, ...words: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * words.length);
  id(name).copy(b, 0);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 + 4 * i));
  return b;
}
const u32 = (n: number | bigint) => Number(BigInt(n) & 0xffffffffn);
const failFrame = (message: string) => {
  const msg = Buffer.from(message, 'utf8');
  return Buffer.concat([frame('FAIL', msg.length), msg]);
};

class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length) {
      this.chunks.push(b);
      this.length += b.length;
    }
  }
  peek(n: number): Buffer {
    if (this.chunks[0] && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const all = Buffer.concat(this.chunks, this.length);
    this.chunks = [all];
    return all.subarray(0, n);
  }
  take(n: number): Buffer {
    const out = Buffer.from(this.peek(n));
    const head = this.chunks[0]!;
    if (head.length === n) this.chunks.shift();
    else this.chunks[0] = head.subarray(n);
    this.length -= n;
    return out;
  }
}

interface Upload {
  path: string;
  mode: number;
  symlinkTarget?: Buffer[];
  file?: FileHandle;
  error?: string;
}

/** mkdir -p one level at a time: Node's recursive mkdir spins forever under /proc. */
async function makeParents(path: string): Promise<void> {
  const parts = posix.dirname(path).split('/').filter(Boolean);
  let cur = '';
  for (const part of parts) {
    cur += `/${part}`;
    try {
      await mkdir(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

const reason = (e: unknown) => (e as NodeJS.ErrnoException)?.message ?? String(e);
const resolvePath = (p: string) => posix.resolve('/', p);

export function openSync(io: StreamIo): ServiceHandler {
  const input = new ByteQueue();
  let upload: Upload | undefined;
  let quit = false;

  const fail = (message: string) => {
    io.write(failFrame(message));
    quit = true;
    io.end();
  };

  async function stat(path: string): Promise<void> {
    let st: Stats | undefined;
    try {
      st = await lstat(resolvePath(path));
    } catch {
      st = undefined;
    }
    io.write(st ? frame('STAT', st.mode, u32(st.size), u32(Math.floor(st.mtimeMs / 1000))) : frame('STAT', 0, 0, 0));
  }

  async function list(path: string): Promise<void> {
    const dir = resolvePath(path);
    let names: string[] = [];
    try {
      names = ['.', '..', ...(await readdir(dir))];
    } catch {
      names = [];
    }
    for (const name of names) {
      let st: Stats;
      try {
        st = await lstat(posix.join(dir, name));
      } catch {
        continue;
      }
      const n = Buffer.from(name, 'utf8');
      io.write(Buffer.concat([frame('DENT', st.mode, u32(st.size), u32(Math.floor(st.mtimeMs / 1000)), n.length), n]));
      await io.drained();
    }
    io.write(frame('DONE', 0, 0, 0, 0));
  }

  async function recv(path: string): Promise<void> {
    let file: FileHandle;
    try {
      file = await open(resolvePath(path), 'r');
    } catch (e) {
      io.write(failFrame(reason(e)));
      return;
    }
    try {
      const chunk = Buffer.alloc(SYNC_DATA_MAX);
      for (;;) {
        if (io.closed) return;
        const { bytesRead } = await file.read(chunk, 0, SYNC_DATA_MAX, null);
        if (bytesRead === 0) break;
        io.write(Buffer.concat([frame('DATA', bytesRead), chunk.subarray(0, bytesRead)]));
        await io.drained();
      }
      io.write(frame('DONE', 0));
    } catch (e) {
      io.write(failFrame(reason(e)));
    } finally {
      await file.close().catch(() => {});
    }
  }

  async function beginSend(spec: string): Promise<void> {
    const comma = spec.lastIndexOf(',');
    const path = resolvePath(comma < 0 ? spec : spec.slice(0, comma));
    const mode = comma < 0 ? 0o100644 : Number.parseInt(spec.slice(comma + 1), 10) || 0o100644;
    upload = { path, mode };
    if ((mode & fsc.S_IFMT) === fsc.S_IFLNK) {
      upload.symlinkTarget = [];
      return;
    }
    try {
      await makeParents(path);
      await rm(path, { force: true });
      upload.file = await open(path, 'w', mode & 0o777);
      await upload.file.chmod(mode & 0o777);
    } catch (e) {
      upload.error = reason(e);
    }
  }

  async function sendData(data: Buffer): Promise<void> {
    const u = upload!;
    if (u.error) return;
    if (u.symlinkTarget) {
      u.symlinkTarget.push(data);
      return;
    }
    try {
      await u.file!.write(data);
    } catch (e) {
      u.error = reason(e);
    }
  }

  async function finishSend(mtime: number): Promise<void> {
    const u = upload!;
    upload = undefined;
    try {
      if (u.file) await u.file.close();
      if (!u.error && u.symlinkTarget) {
        await makeParents(u.path);
        await rm(u.path, { force: true });
        await symlink(Buffer.concat(u.symlinkTarget).toString('utf8'), u.path);
      } else if (!u.error) {
        await utimes(u.path, mtime, mtime);
      }
    } catch (e) {
      u.error ??= reason(e);
    }
    if (u.error) {
      if (u.file) await rm(u.path, { force: true }).catch(() => {});
      io.write(failFrame(u.error));
    } else {
      io.write(frame('OKAY', 0));
    }
  }

  /** Handle every complete message in the queue; an incomplete one waits for the next WRTE. */
  async function drain(): Promise<void> {
    while (!quit && !io.closed && input.length >= 8) {
      const head = input.peek(8);
      const name = head.toString('latin1', 0, 4);
      const len = head.readUInt32LE(4);
      if (upload) {
        if (name === ID.DATA) {
          if (len > SYNC_DATA_MAX) return fail(`DATA chunk of ${len} bytes exceeds ${SYNC_DATA_MAX}`);
          if (input.length < 8 + len) return;
          input.take(8);
          await sendData(input.take(len));
        } else if (name === ID.DONE) {
          input.take(8);
          await finishSend(len);
        } else {
          return fail(`expected DATA or DONE during SEND, got ${JSON.stringify(name)}`);
        }
        continue;
      }
      if (name === ID.QUIT) {
        input.take(8);
        quit = true;
        io.end();
        return;
      }
      if (![ID.STAT, ID.LIST, ID.SEND, ID.RECV].includes(name)) return fail(`unknown sync request ${JSON.stringify(name)}`);
      if (len > PATH_MAX) return fail(`path of ${len} bytes is too long`);
      if (input.length < 8 + len) return;
      input.take(8);
      const arg = input.take(len).toString('utf8');
      if (name === ID.STAT) await stat(arg);
      else if (name === ID.LIST) await list(arg);
      else if (name === ID.RECV) await recv(arg);
      else await beginSend(arg);
    }
  }

  return {
    onData: async (data) => {
      input.push(data);
      await drain();
    },
    onClose: () => {
      quit = true;
      const u = upload;
      upload = undefined;
      if (u?.file) void u.file.close().then(() => rm(u.path, { force: true })).catch(() => {});
    },
  };
}
