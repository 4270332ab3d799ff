import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's figures file (one per run, so that runs at the same time do not mix). */
    figuresFile: string;
  }
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

export type Figures = Record<string, string | number | boolean>;

/** Records one scenario's figures; the global teardown prints them as a table. */
export function recordFigures(scenario: string, figures: Figures): void {
  const file = inject('figuresFile');
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify({ scenario, figures })}\n`);
}

export function figuresTable(file: string): string {
  if (!existsSync(file)) return '(no figures recorded)';
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { scenario: string; figures: Figures });
  const lines: string[] = [];
  const width = Math.max(8, ...rows.map((row) => row.scenario.length));
  lines.push(`${'scenario'.padEnd(width)} | figures`);
  lines.push(`${'-'.repeat(width)}-+-${'-'.repeat(60)}`);
  for (const { scenario, figures } of rows) {
    const text = Object.entries(figures).map(([key, value]) => `${key}=${value}`);
    // Wrap long figure lists over several lines.
    let line = '';
    let first = true;
    for (const part of text) {
      if (line && line.length + part.length > 100) {
        lines.push(`${(first ? scenario : '').padEnd(width)} | ${line}`);
        first = false;
        line = '';
      }
      line = line ? `${line}, ${part}` : part;
    }
    lines.push(`${(first ? scenario : '').padEnd(width)} | ${line}`);
  }
  return lines.join('\n');
}
