// One `hdc fport` rule: a background host process listening on 127.0.0.1:LPORT that carries each connection to
// the board's hdcd (which connects to the remote end). Usage: forwarder.mjs KEY tcp:LPORT tcp:RPORT|localfilesystem:PATH
// Prints `OK` or `FAIL <reason>` once on stdout, then stays silent until SIGTERM.
import { createServer } from 'node:net';
import { openDaemon, readHeader } from './protocol.mjs';

const [key, local, remote] = process.argv.slice(2);
const lport = Number(/^tcp:(\d+)$/.exec(local ?? '')?.[1]);
const target = remote?.startsWith('tcp:') ? { tcp: Number(remote.slice(4)) } : { unix: remote?.slice('localfilesystem:'.length) };

const server = createServer((client) => {
  client.pause();
  client.on('error', () => {});
  openDaemon(key, { op: 'connect', ...target })
    .then(async (dev) => {
      dev.on('error', () => client.destroy());
      const answer = await readHeader(dev, 10_000);
      if (!answer.ok) throw new Error(answer.error);
      client.pipe(dev);
      dev.pipe(client);
      client.on('close', () => dev.destroy());
      dev.on('close', () => client.destroy());
    })
    .catch(() => client.destroy());
});
server.once('error', (e) => {
  process.stdout.write(`FAIL ${e.code ?? e.message}\n`);
  process.exit(1);
});
server.listen(lport, '127.0.0.1', () => process.stdout.write('OK\n'));
process.on('SIGTERM', () => process.exit(0));
process.stdout.on('error', () => {});
