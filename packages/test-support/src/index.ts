export { type LaunchChromiumOptions, launchChromium } from './chromium.js';
export { freePort } from './freePort.js';
export { RedisServer, type RedisServerOptions, startRedis } from './redisServer.js';
