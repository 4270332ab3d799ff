import { Child } from './ipc.js';
import type { LoadConfig } from './loadChild.js';
import type { ServerConfig, ServerKind } from './serverChild.js';
import { type Spread, spread } from './stats.js';

export const SERVER_LABELS: Record<ServerKind, string> = {
  full: 'full stack',
  bare: 'bare Socket.IO',
  ws: 'raw ws',
};

export type RunningServer = { child: Child; port: number };

/** Node flags for server children: --expose-gc always; a CPU profile when BENCH_CPU_PROF is set. */
function serverFlags(): string[] {
  const flags = ['--expose-gc'];
  const dir = process.env.BENCH_CPU_PROF;
  if (dir) flags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  return flags;
}

export async function startServer(config: ServerConfig, label: string = config.kind): Promise<RunningServer> {
  const child = new Child({
    script: 'serverChild.ts',
    config,
    label: `server(${label})`,
    nodeFlags: serverFlags(),
  });
  const info = (await Promise.race([
    child.ready,
    child.exited.then((code) => {
      throw new Error(`server(${label}) exited with ${code} before listening`);
    }),
  ])) as { port: number };
  return { child, port: info.port };
}

export async function startLoad(config: LoadConfig): Promise<Child> {
  const dir = process.env.BENCH_LOAD_CPU_PROF;
  const child = new Child({
    script: 'loadChild.ts',
    config,
    label: `load(${config.kind})`,
    ...(dir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] } : {}),
  });
  await child.ready;
  return child;
}

export type ConnectReport = {
  clients: number;
  live: number;
  errors: Record<string, number>;
  timedOut: boolean;
  allLiveMs: number;
  p50LiveMs: number;
  wallMs: number;
};

export type WaitReport = {
  load: { cpuMs: number; cores: number; loopDelayP99Ms: number; loopDelayMaxMs: number; switchesPerFrame: number };
  frames: number;
  values: number;
  expected: number;
  live: number;
  closedAfterLive: number;
  framesPerClient: number;
  latency: { count: number; mean: number; p50: number; p95: number; p99: number; max: number };
  deliveriesPerSecond: number;
  spanMs: number;
  firstRecvAfterPublishMs: number;
};

export type MemoryReport = { rss: number; heapUsed: number; external: number; gcExposed: boolean; connections: number };
export type CpuReport = { cpuMs: number; wallMs: number; cores: number; gcMs: number; gcMaxPauseMs: number };

/** One row of a printed table: a label, then named figures (each a spread over runs, or a plain value). */
export type Row = { label: string; figures: Record<string, Spread | number | string> };
export type Table = { title: string; note?: string; rows: Row[] };

export function collect<T>(items: readonly T[], pick: (item: T) => number): Spread {
  return spread(items.map(pick));
}

function format(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 10_000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function cell(figure: Spread | number | string): string {
  if (typeof figure === 'string') return figure;
  if (typeof figure === 'number') return format(figure);
  if (figure.runs.length <= 1) return format(figure.median);
  return `${format(figure.median)} (${format(figure.min)}–${format(figure.max)})`;
}

/** A Markdown table: the median, with min–max over runs in brackets. */
export function renderTable(table: Table): string {
  const columns = [...new Set(table.rows.flatMap((row) => Object.keys(row.figures)))];
  const header = ['', ...columns];
  const lines = table.rows.map((row) => [row.label, ...columns.map((column) => cell(row.figures[column] ?? ''))]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...lines.map((line) => (line[index] ?? '').length)),
  );
  const render = (cells: string[]) => `| ${cells.map((text, index) => text.padEnd(widths[index] ?? 0)).join(' | ')} |`;
  return [
    `### ${table.title}`,
    ...(table.note ? [table.note, ''] : ['']),
    render(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...lines.map(render),
  ].join('\n');
}
