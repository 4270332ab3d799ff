import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { buildAsyncApiDocument } from './asyncapi.js';
import { clientEventNames, serverEventNames } from './catalog.js';

describe('the AsyncAPI document', () => {
  it('is accepted by the AsyncAPI parser without errors', async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(buildAsyncApiDocument()));
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document).toBeDefined();
  });

  it('describes every event of the catalog', async () => {
    const { document } = await new Parser().parse(JSON.stringify(buildAsyncApiDocument()));
    const names = new Set(
      document
        ?.allMessages()
        .all()
        .map((message) => message.name()),
    );
    for (const name of serverEventNames) expect(names).toContain(name);
    for (const name of clientEventNames) {
      expect(names).toContain(name);
      expect(names).toContain(`${name} (ack)`);
    }
  });
});
