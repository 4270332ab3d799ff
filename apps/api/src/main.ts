import { ConfigError, loadConfig } from './config.js';
import { createApiServer } from './server.js';

try {
  const config = loadConfig();
  const api = await createApiServer(config);
  const url = await api.listen();
  api.logger.info(
    { url, store: api.store.kind, simulator: config.simulator, demoMode: config.demoMode },
    `API listening on ${url}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    api.logger.info({ signal }, 'shutting down');
    await api.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
