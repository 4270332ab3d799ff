import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@org/test-support';

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((x, y) => Number(y) - Number(x)) : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error('PostgreSQL is not installed (npm test installs it; Debian: apt-get install postgresql)');
}

const isRoot = process.getuid?.() === 0;

/**
 * A throw-away PostgreSQL cluster of this test alone (in a temp folder, on a free port), made the
 * way scripts/postgres.sh makes the shared one, so that stopping it hurts no other suite.
 */
export class PostgresServer {
  readonly #bin = binDir();
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-pg-'));
  port = 0;

  get url(): string {
    return `postgres://postgres:postgres@127.0.0.1:${this.port}/postgres`;
  }

  #run(command: string, args: string[]): string {
    const file = join(this.#bin, command);
    return isRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', file, ...args], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async init(): Promise<this> {
    this.port = await freePort();
    if (isRoot) {
      chmodSync(this.dir, 0o777);
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    }
    this.#run('initdb', ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
    return this;
  }

  start(): void {
    this.#run('pg_ctl', [
      'start',
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'postgres.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
    ]);
  }

  /** Stops it the way a crash or an operator would: `immediate` drops every connection at once. */
  stop(mode: 'fast' | 'immediate' = 'immediate'): void {
    try {
      this.#run('pg_ctl', ['stop', '-D', join(this.dir, 'data'), '-m', mode, '-w']);
    } catch {
      // not running
    }
  }

  dispose(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
