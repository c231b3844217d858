// edgecore's metaManager keeps what the cloud sent in a local database so the edge keeps working offline; this
// stand-in keeps it in one small JSON file, rewritten (atomically) a moment after each change.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Kind = 'pods' | 'nodes' | 'services' | 'endpoints';
export const KINDS: Kind[] = ['pods', 'nodes', 'services', 'endpoints'];

const keyOf = (o: any): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

export class LocalStore {
  readonly maps: Record<Kind, Map<string, any>> = { pods: new Map(), nodes: new Map(), services: new Map(), endpoints: new Map() };
  private file: string;
  private timer: NodeJS.Timeout | undefined;
  onChange: ((kind: Kind) => void) | undefined;

  constructor(file: string) {
    this.file = file;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<Kind, any[]>;
      for (const k of KINDS) for (const o of saved[k] ?? []) this.maps[k].set(keyOf(o), o);
    } catch {
      // first start, or an unreadable file: start empty, the cloud fills it
    }
  }

  replace(kind: Kind, items: any[]): void {
    this.maps[kind] = new Map(items.map((o) => [keyOf(o), o]));
    this.changed(kind);
  }

  put(kind: Kind, o: any): void {
    this.maps[kind].set(keyOf(o), o);
    this.changed(kind);
  }

  remove(kind: Kind, o: any): void {
    this.maps[kind].delete(keyOf(o));
    this.changed(kind);
  }

  list(kind: Kind): any[] {
    return [...this.maps[kind].values()];
  }

  private changed(kind: Kind): void {
    this.onChange?.(kind);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 200);
  }

  flush(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const data: Record<string, any[]> = {};
    for (const k of KINDS) data[k] = this.list(k);
    writeFileSync(`${this.file}.tmp`, JSON.stringify(data));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
