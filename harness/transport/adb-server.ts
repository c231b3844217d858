import { createServer } from 'node:net';
import { execa } from 'execa';

// A private adb server per test run or lab, so nothing here touches (or kill-servers) the default one on 5037.

export interface AdbServer {
  host: string;
  port: number;
  /** The adb CLI bound to this server: `adb -P PORT ...args`. */
  adb(args: string[], opts?: { timeout?: number }): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  /** `adb kill-server` for this server only. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Start `adb -P PORT start-server` on a free port (or the given one); `bin` defaults to `adb` on PATH. */
export async function startAdbServer(opts: { port?: number; bin?: string } = {}): Promise<AdbServer> {
  const bin = opts.bin ?? 'adb';
  const port = opts.port ?? (await freePort());
  const adb: AdbServer['adb'] = async (args, o = {}) => {
    const r = await execa(bin, ['-P', String(port), ...args], { reject: false, timeout: o.timeout ?? 30_000, stdin: 'ignore' });
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  const started = await adb(['start-server']);
  if (started.exitCode !== 0) throw new Error(`adb start-server on port ${port} failed: ${started.stderr || started.stdout}`);
  return {
    host: '127.0.0.1',
    port,
    adb,
    stop: async () => {
      await adb(['kill-server'], { timeout: 10_000 });
    },
  };
}
