import { existsSync } from 'node:fs';
import { type Browser, chromium, type LaunchOptions } from 'playwright-core';

/** Playwright's launch options, with the two that {@link launchChromium} fills in explained. */
export type LaunchChromiumOptions = LaunchOptions & {
  /** The Chromium binary; default `CHROMIUM_PATH`, else `/usr/bin/chromium` (Debian's package). */
  executablePath?: string;
  /** Extra flags, passed after the default ones. */
  args?: string[];
};

// Headless in a container (often as root, without a GPU), and quiet: no network or update
// traffic of Chromium's own to skew timings or hang on a machine without internet.
const DEFAULT_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

/** Launches the system's Chromium through playwright-core (no browser download); fails clearly when it is missing. */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install it with \`apt-get install -y chromium\` ` +
        '(npm test installs it) or point CHROMIUM_PATH at one.',
    );
  }
  return chromium.launch({ ...options, executablePath, args: [...DEFAULT_ARGS, ...(options.args ?? [])] });
}
