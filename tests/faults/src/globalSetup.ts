import { FULL } from './env.js';
import { figuresTable, resetFigures } from './figures.js';

export function setup(): void {
  resetFigures();
}

export function teardown(): void {
  console.log(
    `\nFault suite figures (${FULL ? 'full: pnpm test:faults' : 'fast part: pnpm test'})\n${figuresTable()}\n`,
  );
}
