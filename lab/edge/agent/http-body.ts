import type { IncomingMessage } from 'node:http';

/** One HTTP answer read whole: the body parsed as JSON when it is JSON, kept as text otherwise. */
export function readAnswer(res: IncomingMessage): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // plain text answer
      }
      resolve({ status: res.statusCode ?? 0, body });
    });
    res.on('error', reject);
  });
}
