import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './freePort.js';
import { RedisServer, startRedis } from './redisServer.js';

/** What the server on `port` replies to PING over a raw socket, or the connection error's code. */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => {
      socket.destroy();
      resolve(chunk.toString());
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('RedisServer', () => {
  const started: RedisServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((redis) => redis.kill()));
  });

  it('answers PING, closes its port on stop and starts again on the same port', async () => {
    const redis = await startRedis();
    started.push(redis);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await ping(redis.port)).toBe('+PONG\r\n');

    await redis.stop();
    expect(await ping(redis.port)).toBe('ECONNREFUSED');

    await redis.start();
    expect(await ping(redis.port)).toBe('+PONG\r\n');
  });

  it('kills with SIGKILL, then restarts on a port given up front', async () => {
    const port = await freePort();
    const redis = new RedisServer({ port });
    started.push(redis);
    expect(redis.port).toBe(port);
    await redis.start();
    expect(await ping(port)).toBe('+PONG\r\n');

    await redis.kill();
    expect(await ping(port)).toBe('ECONNREFUSED');

    await redis.start();
    expect(await ping(port)).toBe('+PONG\r\n');
  });

  it('names the apt-get package when redis-server is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedis()).rejects.toThrow('apt-get install -y redis-server');
    } finally {
      process.env.PATH = path;
    }
  });
});
