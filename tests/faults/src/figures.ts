import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIGURES_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results', 'figures.jsonl');

export type Figures = Record<string, string | number | boolean>;

/** Records one scenario's figures; the global teardown prints them as a table. */
export function recordFigures(scenario: string, figures: Figures): void {
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ scenario, figures })}\n`);
}

export function resetFigures(): void {
  rmSync(FIGURES_FILE, { force: true });
}

export function figuresTable(): string {
  if (!existsSync(FIGURES_FILE)) return '(no figures recorded)';
  const rows = readFileSync(FIGURES_FILE, 'utf8')
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
