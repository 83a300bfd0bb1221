/**
 * Tuple hash → connection slot, as an open-addressing table with linear probing over one Int32Array. A `Map` did
 * the same job but cost a hashed lookup into a large, scattered backing store on every packet; here a lookup is
 * one probe into a flat array in the common case. Each entry is a pair [slot + 1, hash] side by side, so a probe
 * reads one cache line (two parallel arrays took two misses per packet). Several live connections may share a
 * hash (different tuples); the caller tells them apart by comparing the tuple.
 */
export class FlowIndex {
  /** Pairs: at 2k, slot + 1 (0 for an empty entry); at 2k + 1, the hash it was filed under. */
  private table: Int32Array;
  /** Entries - 1 (the entry count is a power of two). */
  private mask: number;
  private count = 0;

  constructor(capacity = 32768) {
    const size = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.table = new Int32Array(2 * size);
    this.mask = size - 1;
  }

  /** Where probing for `hash` starts. Walk with `next` while `slotAt` is not -1. */
  first(hash: number): number {
    return hash & this.mask;
  }

  next(position: number): number {
    return (position + 1) & this.mask;
  }

  /** The slot at a probe position if it was filed under `hash`; -2 if another hash is there; -1 at an empty entry. */
  slotAt(position: number, hash: number): number {
    const at = 2 * position;
    const e = this.table[at]!;
    if (e === 0) return -1;
    return this.table[at + 1] === hash ? e - 1 : -2;
  }

  add(hash: number, slot: number): void {
    if (2 * (this.count + 1) > this.mask + 1) this.resize(2 * (this.mask + 1));
    const table = this.table;
    let i = hash & this.mask;
    while (table[2 * i] !== 0) i = (i + 1) & this.mask;
    table[2 * i] = slot + 1;
    table[2 * i + 1] = hash;
    this.count++;
  }

  /** Removes `slot` (filed under `hash`), shifting later entries back so no probe chain is broken. */
  remove(hash: number, slot: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = hash & mask;
    while (table[2 * i] !== slot + 1) {
      if (table[2 * i] === 0) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (table[2 * j] === 0) break;
      const home = table[2 * j + 1]! & mask;
      // Move entry j into the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        table[2 * i] = table[2 * j]!;
        table[2 * i + 1] = table[2 * j + 1]!;
        i = j;
      }
    }
    table[2 * i] = 0;
    this.count--;
  }

  clear(): void {
    this.table.fill(0);
    this.count = 0;
  }

  private resize(size: number): void {
    const old = this.table;
    this.table = new Int32Array(2 * size);
    this.mask = size - 1;
    this.count = 0;
    for (let k = 0; k < old.length; k += 2) {
      if (old[k] !== 0) this.add(old[k + 1]!, old[k]! - 1);
    }
  }
}
