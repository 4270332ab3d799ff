export { startRedis } from '@org/test-support'; // scenarios.ts imports it from here
