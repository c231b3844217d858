// Request bodies in, JSON and Status bodies out; the only place that touches raw HTTP framing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, unsupportedMediaType } from './api-error.ts';

// Upstream's limit for a request body.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export const mediaType = (req: IncomingMessage): string => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** The body as JSON; YAML is accepted too, as upstream does. Empty bodies read as undefined. */
export async function readBody(req: IncomingMessage, allowed: readonly string[] = ['application/json']): Promise<unknown> {
  const raw = await readRaw(req);
  if (raw.length === 0) return undefined;
  const type = mediaType(req) || 'application/json';
  if (type === 'application/yaml' && allowed.includes('application/json')) {
    try {
      return parseYaml(raw.toString('utf8'));
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
  }
  if (!allowed.includes(type)) throw unsupportedMediaType(type);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`error decoding JSON body: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
  res.end(text);
}
