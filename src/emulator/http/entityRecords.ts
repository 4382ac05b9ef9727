import { DEFAULT_EXTRAS, type AdminExtras, type EntityTimes } from './backend';

/**
 * What the registry does not keep about an entity: its times and the properties the
 * administration client sets but the broker ignores. Keys are entity paths, any case.
 * Entities never changed over HTTP report the time the records were made (the start).
 */
export class EntityRecords {
  private readonly extras = new Map<string, AdminExtras>();
  private readonly times = new Map<string, EntityTimes>();
  readonly startedAtMs: number;

  constructor(private readonly now: () => number) {
    this.startedAtMs = now();
  }

  /** A create or update: keeps the creation time, moves the others to now. */
  changed(path: string, extras: AdminExtras): void {
    const key = path.toLowerCase();
    const nowMs = this.now();
    const createdAtMs = this.times.get(key)?.createdAtMs ?? nowMs;
    this.times.set(key, { createdAtMs, updatedAtMs: nowMs, accessedAtMs: nowMs });
    this.extras.set(key, extras);
  }

  forget(path: string): void {
    this.times.delete(path.toLowerCase());
    this.extras.delete(path.toLowerCase());
  }

  extrasOf(path: string): AdminExtras {
    return this.extras.get(path.toLowerCase()) ?? DEFAULT_EXTRAS;
  }

  timesOf(path: string): EntityTimes {
    const start = this.startedAtMs;
    const fromStart = { createdAtMs: start, updatedAtMs: start, accessedAtMs: start };
    return this.times.get(path.toLowerCase()) ?? fromStart;
  }
}
