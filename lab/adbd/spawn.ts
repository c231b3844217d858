import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { log } from '../../harness/core/log.ts';
import { ADBD_EXIT } from './server.ts';

// Starts the device-side adbd as its own process (the board's daemon) and plays its init: a reboot restarts it.

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');
// an absolute loader URL, so the daemon starts whatever the caller's cwd (or mount namespace's cwd) is
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface AdbdSpawnOptions {
  /** HOST:PORT to listen on; port 0 picks a free port (kept across reboots). */
  listen: string;
  props: string;
  /** Command prefix, e.g. `['nsenter', '--net=/run/netns/b1']`, to run the daemon inside a board's namespaces. */
  prefix?: string[];
  env?: NodeJS.ProcessEnv;
  /** Restart the daemon when it exits with ADBD_EXIT.REBOOT (default true). */
  restartOnReboot?: boolean;
  /** ms to wait for the `adbd listening on` line (default 15000). */
  readyTimeoutMs?: number;
}

export interface AdbdProcess {
  readonly host: string;
  readonly port: number;
  /** `host:port`, the serial the adb server will list after `adb connect`. */
  readonly serial: string;
  /** pid of the current daemon process (changes on reboot). */
  readonly pid: number;
  /** How many times the daemon was restarted after a reboot. */
  readonly reboots: number;
  /** Exit code of the last daemon process that ended (undefined while none has). */
  readonly lastExitCode: number | null | undefined;
  /** Kill the daemon hard (as a crashed board would vanish); no restart follows. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stop the daemon (SIGTERM, then SIGKILL after 2 s); no restart follows. */
  stop(): Promise<void>;
}

function startOnce(listen: string, opts: AdbdSpawnOptions): Promise<{ child: ChildProcess; host: string; port: number }> {
  const argv = [...(opts.prefix ?? []), process.execPath, '--import', TSX_LOADER, MAIN, '--listen', listen, '--props', opts.props];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    for (const line of d.toString().split('\n')) if (line) log.debug(`adbd ${listen}: ${line}`);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`adbd did not report ready within ${opts.readyTimeoutMs ?? 15000} ms; stderr: ${stderr}`));
    }, opts.readyTimeoutMs ?? 15000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`adbd exited with ${code} before it was ready; stderr: ${stderr}`));
    };
    child.once('exit', onExit);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /adbd listening on (.+):(\d+)\n/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.resume();
      resolve({ child, host: m[1]!, port: Number(m[2]) });
    });
  });
}

export async function spawnAdbd(opts: AdbdSpawnOptions): Promise<AdbdProcess> {
  const first = await startOnce(opts.listen, opts);
  const { host, port } = first;
  let child = first.child;
  let stopped = false;
  let reboots = 0;
  let lastExitCode: number | null | undefined;
  let restarting: Promise<void> = Promise.resolve();

  const watch = (c: ChildProcess) => {
    c.once('exit', (code) => {
      lastExitCode = code;
      if (stopped || code !== ADBD_EXIT.REBOOT || opts.restartOnReboot === false) return;
      restarting = startOnce(`${host}:${port}`, opts).then(
        (next) => {
          reboots++;
          if (stopped) next.child.kill('SIGKILL');
          child = next.child;
          watch(child);
        },
        () => {},
      );
    });
  };
  watch(child);

  const terminate = async (signal: NodeJS.Signals, graceMs: number) => {
    stopped = true;
    await restarting;
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return {
    host,
    port,
    serial: `${host}:${port}`,
    get pid() {
      return child.pid ?? -1;
    },
    get reboots() {
      return reboots;
    },
    get lastExitCode() {
      return lastExitCode;
    },
    kill: (signal = 'SIGKILL') => terminate(signal, 0),
    stop: () => terminate('SIGTERM', 2000),
  };
}
