import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The dashboard build, next to this package in the monorepo (from src/ or dist/ alike). */
const MONOREPO_DASHBOARD_DIST = fileURLToPath(new URL('../../dashboard/dist', import.meta.url));

const flag = z
  .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
  .transform((value) => ['true', '1', 'on', 'yes'].includes(value));

const DEV_JWT_SECRET = 'dev-only-secret-change-me-dev-only-secret';
const DEV_SERVICE_KEY = 'dev-service-key';

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
    JWT_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
    SERVICE_KEY: z.string().min(16, 'SERVICE_KEY must be at least 16 characters').optional(),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' }).optional(),
    DATA_DIR: z.string().min(1).default('.data/pglite'),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'REDIS_URL must be a redis:// URL' }).optional(),
    CORS_ORIGINS: z.string().optional(),
    DEMO_MODE: flag.optional(),
    SIMULATOR: flag.optional(),
    SIMULATOR_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    DASHBOARD_DIST: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (!env.JWT_SECRET) ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'required in production' });
    if (!env.SERVICE_KEY) ctx.addIssue({ code: 'custom', path: ['SERVICE_KEY'], message: 'required in production' });
  });

export type Config = {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  jwtSecret: string;
  jwtTtlSeconds: number;
  serviceKey: string;
  databaseUrl: string | undefined;
  /** A folder for the embedded PGlite store, or `memory://`. */
  dataDir: string;
  redisUrl: string | undefined;
  corsOrigins: string[] | '*';
  demoMode: boolean;
  simulator: boolean;
  simulatorIntervalMs: number;
  dashboardDist: string | undefined;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration from the environment; every bad value is named in one error. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || 'env'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET,
    jwtTtlSeconds: e.JWT_TTL_SECONDS,
    serviceKey: e.SERVICE_KEY ?? DEV_SERVICE_KEY,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    corsOrigins: e.CORS_ORIGINS
      ? e.CORS_ORIGINS.split(',')
          .map((origin) => origin.trim())
          .filter(Boolean)
      : production
        ? []
        : '*',
    demoMode: e.DEMO_MODE ?? !production,
    simulator: e.SIMULATOR ?? !production,
    simulatorIntervalMs: e.SIMULATOR_INTERVAL_MS,
    dashboardDist: e.DASHBOARD_DIST ?? (production ? MONOREPO_DASHBOARD_DIST : undefined),
  };
}
