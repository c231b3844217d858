import type { BoardSpec } from '../inventory/schema.ts';
import { HdcTransport } from './hdc.ts';
import { LocalTransport } from './local.ts';
import { SshTransport } from './ssh.ts';
import type { Transport } from './types.ts';

/** The transport for a board, from its inventory entry. */
export async function createTransport(board: BoardSpec): Promise<Transport> {
  const t = board.transport;
  switch (t.type) {
    case 'ssh':
      return new SshTransport(t, board.id);
    case 'hdc':
      return new HdcTransport(t, board.id);
    case 'local':
      return new LocalTransport(board.id);
    case 'adb': {
      // loaded lazily: adbkit is CommonJS and only needed for Android boards
      const { AdbTransport } = await import('./adb.ts');
      return new AdbTransport(t, board.id);
    }
  }
}
