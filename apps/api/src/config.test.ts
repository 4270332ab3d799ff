import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has safe development defaults: demo mode, simulator, embedded store', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 4000,
      demoMode: true,
      simulator: true,
      databaseUrl: undefined,
    });
    expect(config.dataDir).toBe('.data/pglite');
  });

  it('names every bad value in one error', () => {
    const load = () =>
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short', SIMULATOR: 'maybe' });
    expect(load).toThrow(ConfigError);
    const message = (() => {
      try {
        load();
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    for (const key of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'SIMULATOR']) expect(message).toContain(key);
  });

  it('requires real secrets in production and turns demo mode and the simulator off there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required in production/);
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), SERVICE_KEY: 'y'.repeat(16) });
    expect(config).toMatchObject({ demoMode: false, simulator: false, corsOrigins: [] });
    expect(config.dashboardDist).toMatch(/apps\/dashboard\/dist$/);
  });

  it('reads lists and flags', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example', DEMO_MODE: 'off' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.demoMode).toBe(false);
  });
});
