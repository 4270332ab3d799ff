#!/usr/bin/env node
// The README's two commands land here: `npm start` (set up, then run API + dashboard) and
// `npm test` (set up, then run the whole suite). It needs only Node and npm on the machine:
// pnpm, the workspace's packages and, for tests, Chromium, PostgreSQL and Redis are installed
// on the way when missing.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceDirs } from './workspace.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const command = process.argv[2];

const log = (message) => console.log(`\x1b[36m[setup]\x1b[0m ${message}`);

const cleanups = [];
function exit(code) {
  for (const cleanup of cleanups.splice(0)) cleanup();
  process.exit(code);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    exit(result.status ?? 1);
  }
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** pnpm at the pinned version: the machine's if it matches, else a local copy under .tools. */
function ensurePnpm() {
  const version = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (version.status === 0 && version.stdout.trim() === PNPM_VERSION) return 'pnpm';
  const local = join(root, '.tools', 'node_modules', '.bin', 'pnpm');
  if (!existsSync(local)) {
    log(`installing pnpm ${PNPM_VERSION} into .tools/`);
    mkdirSync(join(root, '.tools'), { recursive: true });
    run('npm', [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--prefix',
      join(root, '.tools'),
      `pnpm@${PNPM_VERSION}`,
    ]);
  }
  return local;
}

/** Debian packages the tests drive for real; installed when missing and we may use apt. */
function ensureSystemPackages() {
  const wanted = [
    ['chromium', '/usr/bin/chromium'],
    ['redis-server', '/usr/bin/redis-server'],
    ['postgresql', null],
  ].filter(([, path]) => (path ? !existsSync(path) : !hasPostgres()));
  if (wanted.length === 0) return;
  const names = wanted.map(([pkg]) => pkg);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(
      `Missing system packages: ${names.join(', ')}. Install them (Debian: apt-get install -y ${names.join(' ')}) and run again.`,
    );
    exit(1);
  }
  log(`installing ${names.join(', ')} with apt-get`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function hasPostgres() {
  if (has('initdb')) return true;
  const base = '/usr/lib/postgresql';
  return existsSync(base) && readdirSync(base).some((v) => existsSync(join(base, v, 'bin', 'initdb')));
}

/** A port nothing listens on now (another checkout's PostgreSQL may hold the default one). */
function freePort() {
  const script =
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})";
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
}

/** Starts this checkout's throw-away PostgreSQL and stops it again when the run ends. */
function startPostgres() {
  const env = { ...process.env, PGTEST_PORT: freePort() };
  const script = join(root, 'scripts', 'postgres.sh');
  const out = execFileSync('bash', [script, 'start'], { cwd: root, encoding: 'utf8', env });
  cleanups.push(() => spawnSync('bash', [script, 'stop'], { cwd: root, stdio: 'ignore', env }));
  const line = out.trim().split('\n').pop() ?? '';
  const url = line.replace(/^DATABASE_URL=/, '');
  if (!url.startsWith('postgres')) throw new Error(`scripts/postgres.sh start printed no DATABASE_URL:\n${out}`);
  return url;
}

const pnpm = ensurePnpm();
// turbo finds the package manager on PATH, so the local copy must be there for every child.
if (pnpm !== 'pnpm') process.env.PATH = `${dirname(pnpm)}${delimiter}${process.env.PATH ?? ''}`;
log('installing workspace packages');
run(pnpm, ['install', '--frozen-lockfile', '--reporter=append-only']);

if (command === 'start') {
  log('starting API (http://127.0.0.1:4000) and dashboard (http://localhost:5173)');
  console.log(
    '\n  Dashboard: \x1b[1mhttp://localhost:5173\x1b[0m   (sign in as underwriter@acme-lending / demo1234)\n',
  );
  const child = spawn(pnpm, ['turbo', 'run', 'dev', '--filter=@org/api', '--filter=@org/dashboard'], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
} else if (command === 'test') {
  ensureSystemPackages();
  const env = { ...process.env, CHROMIUM_PATH: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' };
  if (!env.DATABASE_URL) {
    log('starting a throw-away PostgreSQL for the store suite');
    env.DATABASE_URL = startPostgres();
  }
  // Every step runs even when an earlier one failed, so one run shows everything that is wrong.
  const failed = [];
  const step = (name, args) => {
    log(name);
    const result = spawnSync(pnpm, args, { cwd: root, stdio: 'inherit', env });
    if (result.status !== 0) failed.push(name);
  };
  // Each package's vitest also writes a JSON report; test-summary.mjs adds them up at the end.
  for (const dir of workspaceDirs(root)) rmSync(join(root, dir, 'test-results'), { recursive: true, force: true });
  const reporters = ['--reporter=default', '--reporter=json'];
  const turbo = (task) => ['turbo', 'run', task, '--concurrency=1', '--continue=always', '--force'];

  step('lint', ['exec', 'biome', 'check', '.']);
  step('typecheck', ['turbo', 'run', 'typecheck', '--continue=always', '--output-logs=errors-only']);
  step('unit and integration tests', [
    ...turbo('test'),
    '--',
    ...reporters,
    '--outputFile.json=test-results/vitest.json',
  ]);
  step('end-to-end tests (built dashboard + API in headless Chromium)', [
    ...turbo('test:e2e'),
    '--',
    ...reporters,
    '--outputFile.json=test-results/e2e.json',
  ]);
  const summary = spawnSync('node', [join(root, 'scripts', 'test-summary.mjs')], { cwd: root, stdio: 'inherit', env });
  if (failed.length > 0 || summary.status !== 0) {
    console.error(`\nFailed: ${failed.join(', ') || 'test summary'}`);
    exit(1);
  }
  exit(0);
} else {
  console.error('usage: node scripts/bootstrap.mjs start|test');
  process.exit(2);
}
