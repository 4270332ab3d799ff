import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the core', () => {
  it('imports no framework: React bindings live outside src/core', () => {
    const folder = new URL('.', import.meta.url);
    const sources = readdirSync(folder).filter((file) => file.endsWith('.ts') && !file.includes('.test'));
    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) {
      const imports = [...readFileSync(new URL(file, folder), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(
        imports.filter((name) => /react/.test(name ?? '')),
        file,
      ).toEqual([]);
    }
  });
});
