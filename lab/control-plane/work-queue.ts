// Controllers coalesce bursts of store events per key and run after the current tick, never inside a store dispatch.
import { log } from '../../harness/core/log.ts';

export class WorkQueue {
  readonly #name: string;
  readonly #work: (key: string) => void;
  #dirty = new Set<string>();
  #scheduled = false;
  #stopped = false;
  #retries = new Set<NodeJS.Timeout>();

  constructor(name: string, work: (key: string) => void) {
    this.#name = name;
    this.#work = work;
  }

  add(key: string): void {
    if (this.#stopped) return;
    this.#dirty.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#retries) clearTimeout(t);
  }

  #drain(): void {
    this.#scheduled = false;
    if (this.#stopped) return;
    const keys = [...this.#dirty];
    this.#dirty.clear();
    for (const key of keys) {
      try {
        this.#work(key);
      } catch (err) {
        log.warn(`control plane ${this.#name}: ${key}: ${(err as Error).message}; retrying`);
        const t = setTimeout(() => {
          this.#retries.delete(t);
          this.add(key);
        }, 250);
        this.#retries.add(t);
      }
    }
  }
}
