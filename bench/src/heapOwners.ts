import { readFileSync } from 'node:fs';

type Snap = {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
};
function owners(file: string, wantedType: string) {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snap;
  const nf = s.snapshot.meta.node_fields,
    ef = s.snapshot.meta.edge_fields;
  const nt = s.snapshot.meta.node_types[0],
    et = s.snapshot.meta.edge_types[0];
  const W = nf.length,
    EW = ef.length;
  const iType = nf.indexOf('type'),
    iName = nf.indexOf('name'),
    iSize = nf.indexOf('self_size'),
    iEC = nf.indexOf('edge_count');
  const eType = ef.indexOf('type'),
    eName = ef.indexOf('name_or_index'),
    eTo = ef.indexOf('to_node');
  const out = new Map<string, { size: number; count: number }>();
  const seen = new Set<number>();
  let e = 0;
  for (let n = 0; n < s.nodes.length; n += W) {
    const count = s.nodes[n + iEC] as number;
    const pType = nt[s.nodes[n + iType] as number];
    const pName = s.strings[s.nodes[n + iName] as number];
    for (let k = 0; k < count; k += 1, e += EW) {
      const to = s.edges[e + eTo] as number;
      if (nt[s.nodes[to + iType] as number] !== wantedType || seen.has(to)) continue;
      seen.add(to);
      const edgeType = et[s.edges[e + eType] as number];
      const edgeName =
        edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : s.strings[s.edges[e + eName] as number];
      const key = `${pType}:${(pName ?? '').slice(0, 40)} .${(edgeName ?? '').slice(0, 40)}`;
      const entry = out.get(key) ?? { size: 0, count: 0 };
      entry.size += s.nodes[to + iSize] as number;
      entry.count += 1;
      out.set(key, entry);
    }
  }
  return out;
}
const [a, b, type = 'array'] = process.argv.slice(2);
const A = owners(a as string, type),
  B = owners(b as string, type);
const rows = [...new Set([...A.keys(), ...B.keys()])].map((k) => ({
  k,
  size: (B.get(k)?.size ?? 0) - (A.get(k)?.size ?? 0),
  count: (B.get(k)?.count ?? 0) - (A.get(k)?.count ?? 0),
}));
rows.sort((x, y) => y.size - x.size);
for (const r of rows.slice(0, 25))
  console.log(`${(r.size / 1024).toFixed(0).padStart(8)} KiB ${String(r.count).padStart(7)}  ${r.k}`);
