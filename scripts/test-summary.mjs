#!/usr/bin/env node
// Adds up the vitest JSON reports of every package into one closing line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceDirs } from './workspace.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of workspaceDirs(root)) {
  const results = join(root, dir, 'test-results');
  if (!existsSync(results)) continue;
  for (const file of readdirSync(results).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(results, file), 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    rows.push(
      `  ${dir.padEnd(24)} ${file.padEnd(14)} ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
    );
  }
}
console.log(`\n${rows.join('\n')}`);
console.log(`\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
