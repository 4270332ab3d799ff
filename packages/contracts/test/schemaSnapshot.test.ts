import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CatalogSchema, catalogJsonSchema, findBreakingChanges, PROTOCOL_VERSION } from '../src/index.js';

const snapshot = JSON.parse(readFileSync(new URL('../schema/catalog.json', import.meta.url), 'utf8')) as CatalogSchema;

describe('the committed schema snapshot', () => {
  it('has no breaking change against the current contract unless the protocol version was bumped', () => {
    const breaking = findBreakingChanges(snapshot, catalogJsonSchema());
    if (PROTOCOL_VERSION === snapshot.protocolVersion) {
      expect(breaking, 'breaking changes need a PROTOCOL_VERSION bump').toEqual([]);
    } else {
      expect(PROTOCOL_VERSION).toBeGreaterThan(snapshot.protocolVersion);
    }
  });

  it('is up to date (run `pnpm --filter @org/contracts snapshot` after changing the contract)', () => {
    expect(catalogJsonSchema()).toEqual(snapshot);
  });
});
