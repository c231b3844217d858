// List, then watch from the list's resourceVersion; on any break re-list after a short back-off. What edgecore's
// edgeHub does over its websocket to cloudcore, done here against the API directly.
import type { KubeClient, WatchEvent } from './kube-client.ts';

export interface InformerHandlers {
  /** the full list (after a (re)connect): replaces what is known */
  replace(items: any[]): void;
  event(e: WatchEvent): void;
  /** the cloud answered (true) or did not (false) */
  reachable?(ok: boolean, err?: unknown): void;
}

export interface InformerOptions {
  /** e.g. /api/v1/pods?fieldSelector=spec.nodeName%3Dedge-1 (no watch flags) */
  path: string;
  idleMs: number;
  signal: AbortSignal;
  /** stop talking to the cloud for good after the first failure (defect edge_link_never_restored) */
  giveUpOnError?: boolean;
  log(msg: string): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

export async function runInformer(client: KubeClient, h: InformerHandlers, o: InformerOptions): Promise<void> {
  const sep = o.path.includes('?') ? '&' : '?';
  let backoff = 500;
  while (!o.signal.aborted) {
    try {
      const list = await client.must('GET', o.path);
      h.replace(list.items ?? []);
      h.reachable?.(true);
      backoff = 500;
      let rv: string = list.metadata?.resourceVersion ?? '';
      for (;;) {
        let expired = false;
        await client.watch(`${o.path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(rv)}`, (e) => {
          if (e.type === 'ERROR') {
            expired = true;
            return;
          }
          if (e.object?.metadata?.resourceVersion) rv = e.object.metadata.resourceVersion;
          if (e.type !== 'BOOKMARK') h.event(e);
        }, { idleMs: o.idleMs, signal: o.signal });
        if (expired || o.signal.aborted) break;
      }
    } catch (err) {
      if (o.signal.aborted) return;
      h.reachable?.(false, err);
      o.log(`informer ${o.path}: ${(err as Error).message}`);
      if (o.giveUpOnError) {
        o.log(`informer ${o.path}: giving up on the cloud (defect)`);
        return;
      }
    }
    await sleep(backoff, o.signal);
    backoff = Math.min(backoff * 2, 4_000);
  }
}
