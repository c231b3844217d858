// Watch streams: newline-delimited JSON events over a chunked response, resumable from a resourceVersion.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, gone } from './api-error.ts';
import { apiVersionOf, resourceId, type ResourceType } from './resources.ts';
import { fieldPredicate, labelPredicate } from './selectors.ts';
import type { Store, StoreEvent } from './store.ts';
import { toTable } from './table.ts';
import type { KObject } from './types.ts';

export interface WatchRequest {
  rt: ResourceType;
  namespace: string | undefined;
  query: URLSearchParams;
  /** A watch on one object through the legacy `/watch/.../name` path. */
  name?: string;
  /** meta.k8s.io version when the client asked for Table rows (kubectl get -w). */
  table?: string;
}

export interface WatchSettings {
  store: Store;
  bookmarkIntervalMs: number;
  /** Tracks open streams so close() can end them. */
  open: Set<ServerResponse>;
}

type Line = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: unknown };

/** Validates the request and streams until the client goes, timeoutSeconds passes, or the server closes. */
export function serveWatch(_req: IncomingMessage, res: ServerResponse, w: WatchRequest, s: WatchSettings): void {
  const { rt, namespace, query } = w;
  const byLabel = labelPredicate(query.get('labelSelector') ?? undefined);
  const byField = fieldPredicate(query.get('fieldSelector') ?? undefined, rt.fields);
  const matches = (o: KObject | undefined): boolean =>
    !!o && (!rt.namespaced || namespace === undefined || o.metadata.namespace === namespace) && (w.name === undefined || o.metadata.name === w.name) && byLabel(o.metadata.labels) && byField(o);

  const rvParam = query.get('resourceVersion') ?? '';
  const initial = query.get('sendInitialEvents') === 'true' || rvParam === '' || rvParam === '0';
  let replay: StoreEvent[] | 'expired' = [];
  if (!initial) {
    if (!/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: "${rvParam}"`);
    replay = s.store.eventsAfter(Number(rvParam));
  }
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const asRow = (o: unknown) => (w.table ? toTable(rt, [o as KObject], w.table, query, { resourceVersion: (o as KObject).metadata.resourceVersion }) : o);
  const send = (line: Line) =>
    res.write(`${JSON.stringify(line.type === 'BOOKMARK' || line.type === 'ERROR' ? line : { type: line.type, object: asRow(line.object) })}\n`);

  if (replay === 'expired') {
    // Upstream answers 200 and then a single ERROR event carrying a 410 Status.
    send({ type: 'ERROR', object: gone(`too old resource version: ${rvParam} (${s.store.compactedThrough + 1})`).toStatus() });
    res.end();
    return;
  }

  const deliver = (e: StoreEvent) => {
    if (e.resource !== resourceId(rt)) return;
    const was = e.type !== 'ADDED' && matches(e.previous);
    const is = e.type !== 'DELETED' && matches(e.object);
    // Selector transitions read as ADDED / DELETED, so a filtered watch stays consistent with a filtered list.
    if (is && !was) send({ type: 'ADDED', object: e.object });
    else if (is && was) send({ type: 'MODIFIED', object: e.object });
    else if (was) send({ type: 'DELETED', object: e.object });
  };

  if (initial) {
    for (const o of s.store.list(resourceId(rt), rt.namespaced ? namespace : undefined)) if (matches(o)) send({ type: 'ADDED', object: o });
  } else for (const e of replay) deliver(e);

  const bookmark = (annotations?: Record<string, string>) =>
    send({
      type: 'BOOKMARK',
      object: { kind: rt.kind, apiVersion: apiVersionOf(rt), metadata: { resourceVersion: String(s.store.resourceVersion), ...(annotations ? { annotations } : {}) } },
    });
  const bookmarks = query.get('allowWatchBookmarks') === 'true';
  if (bookmarks && query.get('sendInitialEvents') === 'true') bookmark({ 'k8s.io/initial-events-end': 'true' });

  // Subscribing in the same tick as the replay leaves no gap: the store only changes between ticks.
  const unsubscribe = s.store.subscribe(deliver);
  const timers: NodeJS.Timeout[] = [];
  if (bookmarks) timers.push(setInterval(() => bookmark(), s.bookmarkIntervalMs));
  if (timeoutSeconds > 0) timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000));
  s.open.add(res);
  const stop = () => {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    s.open.delete(res);
  };
  res.on('close', stop);
}
