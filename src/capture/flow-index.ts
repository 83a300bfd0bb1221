/**
 * Tuple hash → connection slot, as an open-addressing table with linear probing over an Int32Array. A `Map` did
 * the same job but cost a hashed lookup into a large, scattered backing store on every packet; here a lookup is
 * one probe into a flat array in the common case. Several live connections may share a hash (different tuples);
 * the caller tells them apart by comparing the tuple.
 */
export class FlowIndex {
  /** slot + 1, or 0 for an empty entry. */
  private table: Int32Array;
  /** The hash of the slot stored in the same entry (so probing needs no lookup into the flow store). */
  private hashes: Int32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 32768) {
    const size = 1 << Math.ceil(Math.log2(Math.max(16, capacity * 2)));
    this.table = new Int32Array(size);
    this.hashes = new Int32Array(size);
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
    const e = this.table[position]!;
    if (e === 0) return -1;
    return this.hashes[position] === hash ? e - 1 : -2;
  }

  add(hash: number, slot: number): void {
    if (2 * (this.count + 1) > this.table.length) this.resize(this.table.length * 2);
    let i = hash & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
    this.hashes[i] = hash;
    this.count++;
  }

  /** Removes `slot` (filed under `hash`), shifting later entries back so no probe chain is broken. */
  remove(hash: number, slot: number): void {
    const table = this.table;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = hash & mask;
    while (table[i] !== slot + 1) {
      if (table[i] === 0) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (table[j] === 0) break;
      const home = hashes[j]! & mask;
      // Move entry j into the hole at i unless its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!stays) {
        table[i] = table[j]!;
        hashes[i] = hashes[j]!;
        i = j;
      }
    }
    table[i] = 0;
    this.count--;
  }

  clear(): void {
    this.table.fill(0);
    this.count = 0;
  }

  private resize(size: number): void {
    const oldTable = this.table;
    const oldHashes = this.hashes;
    this.table = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.mask = size - 1;
    this.count = 0;
    for (let k = 0; k < oldTable.length; k++) {
      if (oldTable[k] !== 0) this.add(oldHashes[k]!, oldTable[k]! - 1);
    }
  }
}
