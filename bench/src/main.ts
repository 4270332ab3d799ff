/**
 * `pnpm bench` (every scenario, 3 runs each) or `pnpm bench --quick` (CI: fewer clients, 1 run, no
 * thresholds asserted). `--only=fanout,storm,rooms,hot,cores,eval,browser` picks scenarios.
 * Prints a table per scenario and writes bench/results/<timestamp>.json and latest.json.
 */
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { browser } from './browser.js';
import { nowMs } from './clock.js';
import { renderTable } from './harness.js';
import { BENCH_DIR } from './ipc.js';
import {
  bothCores,
  type Check,
  evaluation,
  FULL,
  fanout,
  hotKpi,
  QUICK,
  type ScenarioResult,
  steadyRooms,
  stormMemorySteady,
} from './scenarios.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const scale = quick ? QUICK : FULL;
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');

const scenarios: { name: string; run: () => Promise<ScenarioResult> }[] = [
  { name: 'fanout', run: () => fanout(scale) },
  { name: 'storm', run: () => stormMemorySteady(scale) },
  { name: 'rooms', run: () => steadyRooms(scale) },
  { name: 'hot', run: () => hotKpi(scale) },
  { name: 'cores', run: () => bothCores(scale) },
  { name: 'eval', run: () => evaluation(scale) },
  { name: 'browser', run: () => browser(scale.browserEvents, scale.runs) },
];

function git(command: string): string {
  try {
    return execSync(`git ${command}`, { cwd: BENCH_DIR, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const machine = {
  cores: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  memoryBytes: os.totalmem(),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
  fdLimit: execSync('ulimit -n', { shell: '/bin/bash', encoding: 'utf8' }).trim(),
};
const commit = git('rev-parse --short HEAD');
const dirty = git('status --porcelain -- ../packages/server ../packages/contracts') !== '';
/** Set when the full stack measured is a candidate copy, not packages/server (see README). */
const serverEntry = process.env.BENCH_SERVER_ENTRY;
const startedAt = new Date();
const started = nowMs();
console.log(
  `bench ${quick ? '--quick' : '(full)'} at ${commit}${dirty ? ' (server/contracts have uncommitted changes)' : ''}` +
    `${serverEntry ? ` with the full stack from ${serverEntry}` : ''}; ` +
    `${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}`,
);

const results: Record<string, ScenarioResult & { wallMs: number; error?: string }> = {};
const checks: Check[] = [];
const markdown: string[] = [];
for (const scenario of scenarios) {
  if (only && !only.includes(scenario.name)) continue;
  const scenarioStart = nowMs();
  try {
    const result = await scenario.run();
    results[scenario.name] = { ...result, wallMs: nowMs() - scenarioStart };
    for (const table of result.tables) {
      const text = renderTable(table);
      markdown.push(text);
      console.log(`\n${text}\n`);
    }
    checks.push(...(result.checks ?? []));
  } catch (error) {
    console.error(`scenario ${scenario.name} failed:`, error);
    results[scenario.name] = { tables: [], raw: null, wallMs: nowMs() - scenarioStart, error: String(error) };
  }
}

const wallMs = nowMs() - started;
const checkTable = [
  '### Targets (this run)',
  '',
  '| target | measured | |',
  '|---|---|---|',
  ...checks.map((check) => `| ${check.target} | ${check.measured} | ${check.met ? 'met' : 'MISSED'} |`),
].join('\n');
markdown.push(checkTable);
console.log(`\n${checkTable}\n`);
console.log(`wall-clock ${(wallMs / 1000).toFixed(0)} s${quick ? ' (quick: thresholds not asserted)' : ''}`);

const report = {
  startedAt: startedAt.toISOString(),
  mode: quick ? 'quick' : 'full',
  wallMs,
  commit,
  serverDirty: dirty,
  serverEntry: serverEntry ?? null,
  machine,
  scale: { ...scale, fanoutEvents: scale.fanoutSizes.map((n) => ({ clients: n, events: scale.fanoutEvents(n) })) },
  checks,
  scenarios: results,
  markdown: markdown.join('\n\n'),
};
const dir = join(BENCH_DIR, 'results');
mkdirSync(dir, { recursive: true });
const name = `${startedAt.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`;
writeFileSync(join(dir, name), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(dir, quick ? 'latest-quick.json' : 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`results: bench/results/${name}`);

// A full run (every scenario) refreshes the tables at the end of bench/README.md.
if (!quick && !only && !serverEntry) {
  const readme = join(BENCH_DIR, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  if (text.includes(start) && text.includes(end)) {
    const section = [
      start,
      `## Latest full run: ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}` +
        `${dirty ? ' (+ uncommitted server changes)' : ''}`,
      '',
      `${machine.cores} cores (${machine.cpuModel}), ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.node}; ` +
        `wall-clock ${(wallMs / 1000).toFixed(0)} s.`,
      '',
      markdown.join('\n\n'),
      end,
    ].join('\n');
    writeFileSync(readme, text.slice(0, text.indexOf(start)) + section + text.slice(text.indexOf(end) + end.length));
  }
}
process.exit(0);
