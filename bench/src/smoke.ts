import { renderTable } from './harness.js';
import { fanout, QUICK } from './scenarios.js';

const sizes = (process.argv[2] ?? '2000').split(',').map(Number);
const result = await fanout({ ...QUICK, fanoutSizes: sizes, fanoutEvents: (n) => (n >= 10_000 ? 20 : 50) });
for (const table of result.tables) console.log(renderTable(table));
