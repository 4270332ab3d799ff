/**
 * Sums a heap snapshot's self size by constructor / type, to compare two servers' per-client memory.
 * Usage: node --import tsx src/heapTop.ts <a.heapsnapshot> [b.heapsnapshot] [N] — with two files,
 * prints the biggest differences (b - a).
 */
import { readFileSync } from 'node:fs';

type Snapshot = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
};

function totals(file: string): Map<string, { size: number; count: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byName = new Map<string, { size: number; count: number }>();
  for (let index = 0; index < snapshot.nodes.length; index += width) {
    const type = types[snapshot.nodes[index + typeAt] as number] ?? '?';
    const rawName = snapshot.strings[snapshot.nodes[index + nameAt] as number] ?? '?';
    const name = type === 'object' || type === 'closure' ? `${type}:${rawName}` : `(${type})`;
    const entry = byName.get(name) ?? { size: 0, count: 0 };
    entry.size += snapshot.nodes[index + sizeAt] as number;
    entry.count += 1;
    byName.set(name, entry);
  }
  return byName;
}

const files = process.argv.slice(2).filter((arg) => arg.endsWith('.heapsnapshot'));
const top = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 30);
const a = totals(files[0] as string);
const b = files[1] ? totals(files[1]) : undefined;
const names = new Set([...a.keys(), ...(b?.keys() ?? [])]);
const rows = [...names].map((name) => {
  const before = a.get(name) ?? { size: 0, count: 0 };
  const after = b?.get(name) ?? { size: 0, count: 0 };
  return b
    ? { name, size: after.size - before.size, count: after.count - before.count }
    : { name, size: before.size, count: before.count };
});
rows.sort((x, y) => y.size - x.size);
for (const row of rows.slice(0, top)) {
  console.log(`${(row.size / 1024).toFixed(0).padStart(9)} KiB ${String(row.count).padStart(9)}  ${row.name}`);
}
