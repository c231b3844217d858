// In-memory only, by design: a restart of the stand-in starts from an empty cluster (see README).
import type { KObject, WatchEventType } from './types.ts';

export interface StoreEvent {
  type: WatchEventType;
  /** resourceId of the object's type, e.g. "/pods" or "apps/deployments". */
  resource: string;
  object: KObject;
  /** The stored state before this change, for MODIFIED and DELETED. */
  previous?: KObject;
  rv: number;
}

export type StoreListener = (event: StoreEvent) => void;

const keyOf = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Objects by type, one global resourceVersion counter, and a bounded history that watches resume from. */
export class Store {
  #rv = 0;
  #objects = new Map<string, Map<string, KObject>>();
  #history: StoreEvent[] = [];
  #historyStart = 0;
  /** Every event with rv <= this has been dropped from the history. */
  #compactedThrough = 0;
  #listeners = new Set<StoreListener>();
  #pending: StoreEvent[] = [];
  #dispatching = false;
  readonly historySize: number;

  constructor(historySize = 10_000) {
    this.historySize = Math.max(1, historySize);
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  get compactedThrough(): number {
    return this.#compactedThrough;
  }

  get(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.#objects.get(resource)?.get(`${namespace ?? ''}/${name}`);
  }

  /** Stored objects (not copies: callers must not mutate), sorted by namespace then name like a real list. */
  list(resource: string, namespace?: string): KObject[] {
    const all = [...(this.#objects.get(resource)?.values() ?? [])];
    const picked = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
    return picked.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  /** Stores (or removes, for DELETED) `object`, stamping the next resourceVersion on it. */
  commit(type: WatchEventType, resource: string, object: KObject, previous?: KObject): KObject {
    const rv = ++this.#rv;
    object.metadata.resourceVersion = String(rv);
    let bucket = this.#objects.get(resource);
    if (!bucket) this.#objects.set(resource, (bucket = new Map()));
    if (type === 'DELETED') bucket.delete(keyOf(object));
    else bucket.set(keyOf(object), object);
    const event: StoreEvent = { type, resource, object, rv, ...(previous ? { previous } : {}) };
    this.#history.push(event);
    if (this.#history.length - this.#historyStart > this.historySize) {
      this.#compactedThrough = this.#history[this.#historyStart]!.rv;
      this.#historyStart++;
      // Drop the dead prefix in batches so trimming stays O(1) amortised.
      if (this.#historyStart > this.historySize) {
        this.#history = this.#history.slice(this.#historyStart);
        this.#historyStart = 0;
      }
    }
    this.#pending.push(event);
    this.#dispatch();
    return object;
  }

  /** Events after `rv` still kept, or 'expired' when some of them were already dropped. */
  eventsAfter(rv: number): StoreEvent[] | 'expired' {
    if (rv < this.#compactedThrough) return 'expired';
    const out: StoreEvent[] = [];
    for (let i = this.#history.length - 1; i >= this.#historyStart; i--) {
      const e = this.#history[i]!;
      if (e.rv <= rv) break;
      out.push(e);
    }
    return out.reverse();
  }

  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // Listeners that write while being notified queue their events, so every listener sees rv order.
  #dispatch(): void {
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let e = this.#pending.shift(); e; e = this.#pending.shift()) {
        for (const l of [...this.#listeners]) {
          try {
            l(e);
          } catch {
            // A broken listener (a closed watch socket) must not stop the others.
          }
        }
      }
    } finally {
      this.#dispatching = false;
    }
  }
}
