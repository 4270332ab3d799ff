// Writes schema/catalog.json, the committed snapshot of the contract. Refuses a breaking change
// unless PROTOCOL_VERSION was bumped, so an old client is never silently broken.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CatalogSchema, catalogJsonSchema, findBreakingChanges } from '../src/index.js';

const file = fileURLToPath(new URL('../schema/catalog.json', import.meta.url));
const next = catalogJsonSchema();
if (existsSync(file)) {
  const previous = JSON.parse(readFileSync(file, 'utf8')) as CatalogSchema;
  const breaking = findBreakingChanges(previous, next);
  if (breaking.length > 0 && previous.protocolVersion >= next.protocolVersion) {
    console.error(`Breaking changes against protocol ${previous.protocolVersion}; bump PROTOCOL_VERSION first:`);
    for (const change of breaking) console.error(`  ${change.path}: ${change.reason}`);
    process.exit(1);
  }
}
writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
console.log(`wrote ${file} (protocol ${next.protocolVersion})`);
