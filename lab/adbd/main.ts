import { parseArgs } from 'node:util';
import { readProps } from './props.ts';
import { ADBD_EXIT, createAdbd } from './server.ts';

// Entry point of a virtual Android board's adbd: `node --import tsx main.ts --listen HOST:PORT --props FILE`.
// stdout carries exactly one line, `adbd listening on HOST:PORT`, once the port accepts connections
// (PORT 0 picks a free port and the line names it); diagnostics go to stderr. Exit codes: ADBD_EXIT.

function usageExit(message: string): never {
  process.stderr.write(`adbd: ${message}\nusage: main.ts --listen HOST:PORT --props FILE\n`);
  process.exit(ADBD_EXIT.USAGE);
}

let args;
try {
  args = parseArgs({ options: { listen: { type: 'string' }, props: { type: 'string' } }, strict: true }).values;
} catch (e) {
  usageExit((e as Error).message);
}
const m = /^(.+):(\d{1,5})$/.exec(args.listen ?? '');
if (!m) usageExit('--listen HOST:PORT is required');
if (!args.props) usageExit('--props FILE is required');
const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
const port = Number(m[2]);

let props: Map<string, string>;
try {
  props = readProps(args.props);
} catch (e) {
  usageExit(`cannot read props file: ${(e as Error).message}`);
}

const log = (line: string) => process.stderr.write(`adbd: ${line}\n`);
const adbd = createAdbd({ props, log, onReboot: () => process.exit(ADBD_EXIT.REBOOT) });

adbd.server.on('error', (e) => {
  log(`cannot listen on ${host}:${port}: ${e.message}`);
  process.exit(ADBD_EXIT.FATAL);
});
adbd.server.listen(port, host, () => {
  const addr = adbd.server.address();
  const bound = addr && typeof addr === 'object' ? addr.port : port;
  process.stdout.write(`adbd listening on ${host}:${bound}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    void adbd.close().then(() => process.exit(ADBD_EXIT.OK));
    setTimeout(() => process.exit(ADBD_EXIT.OK), 1000).unref();
  });
}
// a service bug must cost one stream, not the board
process.on('uncaughtException', (e) => log(`unexpected error: ${e.stack ?? e.message}`));
process.on('unhandledRejection', (e) => log(`unexpected rejection: ${String((e as Error)?.stack ?? e)}`));
