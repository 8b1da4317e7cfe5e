/**
 * Launches Debian's Chromium (`/usr/bin/chromium`) for the end-to-end tests with playwright-core: never a
 * downloaded browser, a fresh empty user-data directory per launch (removed on close), and the flags of issue 6
 * (headless, no sandbox since the tests run as root, no GPU, no QUIC, no first-run, background networking,
 * component updates or sync, so the browser talks to nothing but the server under test).
 *
 * Source: playwright-core `BrowserType.launchPersistentContext` (https://playwright.dev/docs/api/class-browsertype),
 * Chromium command-line switches (https://peter.sh/experiments/chromium-command-line-switches/).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The system Chromium (Debian package `chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Command-line flags of every launch (issue 6). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Viewport of the pages (CSS pixels): a laptop screen, what the screenshots show. */
export const VIEWPORT = { width: 1366, height: 900 } as const;

/** A running browser: its one persistent context and how to end it. */
export interface LaunchedBrowser {
  readonly context: BrowserContext;
  /** The user-data directory (a new temporary directory, empty at launch). */
  readonly userDataDir: string;
  /** Closes the browser and removes the user-data directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * Why the browser tests cannot run here, or null when they can: the system Chromium or one of `files` (paths
 * that must exist, e.g. the built dashboard and CLI) is missing.
 */
export function browserSkipReason(files: readonly string[]): string | null {
  if (!existsSync(CHROMIUM_PATH)) return `${CHROMIUM_PATH} not found (apt-get install chromium); never downloading a browser`;
  for (const f of files) if (!existsSync(f)) return `${f} is missing (run \`npm run build\`; npm test does)`;
  return null;
}

/**
 * Starts Chromium headless with {@link CHROMIUM_ARGS} and a fresh user-data directory.
 *
 * @throws Error from playwright-core when Chromium fails to start (its stderr is in the message)
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'ipqsec-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: VIEWPORT,
      timeout: 60_000,
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  let closed = false;
  return {
    context,
    userDataDir,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}
