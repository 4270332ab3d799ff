import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FULL } from './env.js';
import { figuresTable, RESULTS_DIR } from './figures.js';

let file = '';

export function setup(project: TestProject): void {
  file = join(RESULTS_DIR, `figures-${process.pid}.jsonl`);
  rmSync(file, { force: true });
  project.provide('figuresFile', file);
}

export function teardown(): void {
  console.log(
    `\nFault suite figures (${FULL ? 'full: pnpm test:faults' : 'fast part: pnpm test'})\n${figuresTable(file)}\n`,
  );
}
