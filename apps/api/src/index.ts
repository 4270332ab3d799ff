export { type AppDeps, createApp } from './app.js';
export { demoAccounts, demoTenants } from './auth/demoUsers.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { type ApiServer, createApiServer } from './server.js';
