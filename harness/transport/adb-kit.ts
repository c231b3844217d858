import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Duplex, Readable } from 'node:stream';

// adbkit is CommonJS whose default export is unwrapped differently by Node's ESM loader and by vitest;
// require() gives the same module object everywhere. Its typings lean on bluebird's (not installed), so the
// few calls used here are typed locally.

export interface AdbConnection {
  end(): unknown;
}
export interface AdbSync {
  pushFile(file: string, path: string, mode?: number): EventEmitter;
  pull(path: string): Readable;
  end(): unknown;
}
export interface AdbDevice {
  /** A server connection already switched to this device (`host:transport:SERIAL`). */
  transport(): PromiseLike<AdbConnection>;
  syncService(): PromiseLike<AdbSync>;
}
export interface AdbClient extends EventEmitter {
  readonly host: string;
  readonly port: number | string;
  listDevices(): PromiseLike<{ id: string; type: string }[]>;
  connect(host: string, port: number): PromiseLike<string>;
  disconnect(host: string, port: number): PromiseLike<unknown>;
  getDevice(serial: string): AdbDevice;
}

interface AdbkitModule {
  Adb: { createClient(options?: { host?: string; port?: number; bin?: string }): AdbClient };
}
interface HostTransportCommands {
  /** Sends its argument as the service name when it contains a colon, and hands back the raw stream on OKAY. */
  LocalCommand: new (connection: AdbConnection) => { execute(service: string): PromiseLike<Duplex> };
}

const require = createRequire(import.meta.url);
const adbkit = require('@devicefarmer/adbkit') as AdbkitModule;
const commands = require('@devicefarmer/adbkit/dist/src/adb/command/host-transport/index.js') as HostTransportCommands;

export function createAdbClient(host: string, port: number): AdbClient {
  return adbkit.Adb.createClient({ host, port, bin: 'adb' });
}

/** Open any device service (`shell:...`, `reboot:`, `tcp:N`, `localfilesystem:/p`) on a connection already switched to the device. */
export function openServiceOn(connection: AdbConnection, service: string): PromiseLike<Duplex> {
  if (!service.includes(':')) throw new TypeError(`not a service name: ${service}`);
  return new commands.LocalCommand(connection).execute(service);
}
