// HTTPS front door: bearer-token authentication, discovery documents, then resource routes.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { log } from '../../harness/core/log.ts';
import { ApiError, internalError, unauthorized } from './api-error.ts';
import { apiGroupDocument, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from './discovery.ts';
import { handleResource, type HandlerContext } from './handlers.ts';
import { sendError, sendJson, sendText } from './http-io.ts';
import { openApiV3ForPath } from './openapi.ts';
import { routeResource } from './router.ts';

export interface ServerDeps extends HandlerContext {
  token: string;
}

// Upstream lets anonymous clients read these (system:public-info-viewer); everything else needs the token.
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

const notFoundPath = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

function authenticated(req: IncomingMessage, token: string): boolean | 'anonymous' {
  const header = req.headers.authorization;
  if (!header) return 'anonymous';
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

async function dispatch(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://virtual-lab');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const auth = authenticated(req, deps.token);
  if (auth === false || (auth === 'anonymous' && !PUBLIC_PATHS.has(path))) throw unauthorized();

  if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendText(res, 200, 'ok');
  if (path === '/version') return sendJson(res, 200, SERVER_VERSION);
  if (path === '/api') return sendJson(res, 200, apiVersions(`${req.socket.localAddress}:${req.socket.localPort}`));
  if (path === '/apis') return sendJson(res, 200, apiGroupList());
  if (path.startsWith('/openapi/v3')) {
    const doc = openApiV3ForPath(path);
    if (!doc) throw notFoundPath();
    return sendJson(res, 200, doc);
  }
  const seg = path.split('/').filter(Boolean);
  if (seg[0] === 'api' && seg.length === 2) {
    const doc = apiResourceList('', seg[1]!);
    if (!doc) throw notFoundPath();
    return sendJson(res, 200, doc);
  }
  if (seg[0] === 'apis' && (seg.length === 2 || seg.length === 3)) {
    const doc = seg.length === 2 ? apiGroupDocument(seg[1]!) : apiResourceList(seg[1]!, seg[2]!);
    if (!doc) throw notFoundPath();
    return sendJson(res, 200, doc);
  }
  const route = routeResource(path);
  if (!route) throw notFoundPath();
  return handleResource(req, res, route, url.searchParams, deps);
}

export function createApiServer(tls: { key: Buffer; cert: Buffer }, deps: ServerDeps): Server {
  return createServer({ key: tls.key, cert: tls.cert, ALPNProtocols: ['http/1.1'] }, (req, res) => {
    const started = performance.now();
    dispatch(req, res, deps)
      .catch((err: unknown) => {
        if (err instanceof ApiError) return sendError(res, err);
        log.error(`control plane: ${req.method} ${req.url?.split('?')[0]}: ${(err as Error)?.stack ?? String(err)}`);
        sendError(res, internalError((err as Error)?.message ?? String(err)));
      })
      .finally(() => {
        // Only method, path and code: bodies may hold Secrets and are never logged.
        const line = () => log.debug(`control plane: ${req.method} ${req.url?.split('?')[0]} ${res.statusCode} ${Math.round(performance.now() - started)} ms`);
        if (res.writableFinished) line();
        else res.once('finish', line);
      });
  });
}
