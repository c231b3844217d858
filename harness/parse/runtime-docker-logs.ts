// Docker's multiplexed log stream (no TTY): 8-byte frames [stream, 0, 0, 0, size u32 BE] + payload.

export function demuxDockerLogs(buf: Buffer): { stdout: string; stderr: string; raw: boolean } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const stream = buf[i]!;
    const size = buf.readUInt32BE(i + 4);
    if (stream > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0 || i + 8 + size > buf.length) break;
    (stream === 2 ? err : out).push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  // not framed (a TTY container, or a proxy that already demuxed): the bytes are the output
  if (i !== buf.length) return { stdout: buf.toString('utf8'), stderr: '', raw: true };
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), raw: false };
}
