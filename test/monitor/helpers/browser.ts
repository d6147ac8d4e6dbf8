// Debian's chromium (scripts/env/ensure-chromium.sh), driven headless by playwright-core: a test
// tool's own browser download cannot work on a machine without the internet.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.LONGSHORE_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Without the background-networking flags Chromium keeps dialling Google's hosts, which a closed
 * network refuses. Playwright gives each launch a fresh, empty profile (its own --user-data-dir).
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing; run \`bash scripts/setup.sh\` (it installs Debian's chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** What would show a reload: full page loads, and errors thrown in the page. */
export interface PageWatch {
  loads: number;
  readonly errors: string[];
}

export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { loads: 0, errors: [] };
  page.on('load', () => watch.loads++);
  page.on('pageerror', (error) => watch.errors.push(error.message));
  return watch;
}
