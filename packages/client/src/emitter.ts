// A small typed event emitter (browser-safe: no node:events).

export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(e: never) => void>>();

  on<K extends keyof Events>(event: K, fn: (e: Events[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => set.delete(fn as (e: never) => void);
  }

  emit<K extends keyof Events>(event: K, e: Events[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) (fn as (e: Events[K]) => void)(e);
  }
}
