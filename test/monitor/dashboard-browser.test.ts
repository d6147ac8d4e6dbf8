// The dashboard in a real browser against the real monitor, a real `longshore worker` process and
// real containers: a task appears, progresses, logs and succeeds on the page, and another is
// cancelled with the page's button, all over the WebSocket without the page ever loading again.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ProgressPipe, configure, dockerRun } from '../../src/index.js';
import { startMonitor, type RunningMonitor } from '../../src/monitor/monitor.js';
import { BUSYBOX, listTaskContainers } from '../helpers/docker.js';
import { BROKER, useBroker } from '../celery/helpers/broker.js';
import { useWorkerProcesses } from '../celery/helpers/worker-process.js';
import { launchChromium, watchPage } from './helpers/browser.js';
import { lineLogger } from '../helpers/logs.js';

const broker = useBroker();
const spawnWorker = useWorkerProcesses();

const STEPS = 5;
/** Five progress lines (to the ProgressPipe, $0) and five log lines, a second apart; markup first. */
const PROGRESS_SCRIPT = `exec 3>"$0"; echo "<b>markup</b> stays text"; i=1; while [ $i -le ${STEPS} ]; do
  echo "step $i of ${STEPS}"; echo "{\\"current\\": $i, \\"total\\": ${STEPS}}" >&3; i=$((i+1)); sleep 1; done`;
/** As the container's pid 1, sh ignores SIGTERM unless it traps it: a cancel would wait 10 s. */
const CANCELLABLE_SCRIPT = 'trap "exit 143" TERM; echo waiting; sleep 120 & wait';
const TAGS = { longshore_user: 'alice', longshore_group: 'imaging' };

const testid = (id: string): string => `[data-testid="${id}"]`;
const text = async (page: Page, id: string): Promise<string> => (await page.textContent(testid(id))) ?? '';
const attr = async (page: Page, id: string, name: string): Promise<string> =>
  (await page.getAttribute(testid(id), name)) ?? '';

describe('the dashboard in Chromium', () => {
  it('shows a task appear, progress, log and succeed live, and cancels another with its button', async () => {
    const queue = broker.queue('dashboard');
    const hostname = broker.hostname('dashboard');
    const monitorLog: string[] = [];
    let monitor: RunningMonitor | undefined;
    let browser: Browser | undefined;
    const worker = spawnWorker(['--queues', queue, '--concurrency', '2', '--hostname', hostname]);
    try {
      monitor = await startMonitor({
        broker: BROKER,
        port: 0,
        dbPath: ':memory:',
        logger: lineLogger(monitorLog),
      });
      await worker.waitFor(/Connected to/);
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const watch = watchPage(page);
      await page.goto(monitor.url);
      await page.waitForSelector(`${testid('connection')}[data-state="open"]`);
      // Survives anything but a reload.
      await page.evaluate(() => Object.assign(globalThis, { longshoreMarker: 'same page' }));

      // The worker shows up, online, from its heartbeats.
      const card = page.locator(testid('worker'), { hasText: hostname });
      await card.waitFor({ timeout: 30_000 });
      expect(await card.locator(testid('worker-status')).textContent()).toBe('online');

      // 1. A task with progress and a log.
      configure({ broker: BROKER });
      const first = dockerRun.applyAsync(
        [BUSYBOX],
        { pullImage: false, containerArgs: ['sh', '-c', PROGRESS_SCRIPT, new ProgressPipe()] },
        { queue, headers: TAGS },
      );
      const row = page.locator(`${testid('task-row')}[data-task-id="${first.id}"]`);
      await row.waitFor({ timeout: 30_000 });
      expect(await row.textContent()).toContain('longshore/busybox');
      await expect.poll(() => row.textContent(), { timeout: 15_000 }).toContain('alice');
      expect(await row.textContent()).toContain('imaging');
      await row.locator('a').click();
      await page.waitForSelector(`${testid('task-view')}:not([hidden])`);
      expect(await text(page, 'task-id')).toBe(first.id);

      // Sample the bar while it runs: it must be seen part-way, not only empty and full.
      const seen = new Set<number>();
      let state = '';
      const deadline = Date.now() + 60_000;
      while (state !== 'SUCCESS' && Date.now() < deadline) {
        seen.add(Number(await attr(page, 'progress-bar', 'data-current')) || 0);
        state = await attr(page, 'task-state', 'data-state');
        await page.waitForTimeout(100);
      }
      expect(state).toBe('SUCCESS');
      const partWay = [...seen].filter((n) => n >= 1 && n < STEPS);
      expect(partWay.length, `progress seen: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(2);
      await expect.poll(() => attr(page, 'progress-bar', 'aria-valuenow')).toBe('100');
      await expect
        .poll(() => text(page, 'task-log'), { timeout: 10_000 })
        .toContain(`step ${STEPS} of ${STEPS}`);
      expect(await text(page, 'task-log')).toContain('step 1 of 5');
      // Container output is text, never markup.
      expect(await text(page, 'task-log')).toContain('<b>markup</b> stays text');
      expect(await page.locator(`${testid('task-log')} b`).count()).toBe(0);
      expect(await text(page, 'cancel')).toBe('Cancel');
      expect(await page.isDisabled(testid('cancel'))).toBe(true);
      await expect(first.get({ timeout: 30_000 })).resolves.toEqual({ exitCode: 0, hookResults: [] });
      const screenshots = mkdtempSync(join(tmpdir(), 'longshore-dashboard-'));
      const taskShot = join(screenshots, 'task-view.png');
      await page.screenshot({ path: taskShot, fullPage: true });

      // 2. A long task, cancelled from the page.
      await page.click(testid('back'));
      const second = dockerRun.applyAsync(
        [BUSYBOX],
        { pullImage: false, containerArgs: ['sh', '-c', CANCELLABLE_SCRIPT] },
        { queue, headers: TAGS },
      );
      const secondRow = page.locator(`${testid('task-row')}[data-task-id="${second.id}"]`);
      await secondRow.waitFor({ timeout: 30_000 });
      await expect.poll(() => secondRow.getAttribute('data-state'), { timeout: 30_000 }).toBe('STARTED');
      await secondRow.locator('a').click();
      await expect.poll(() => text(page, 'task-log'), { timeout: 15_000 }).toContain('waiting');
      expect(await page.isEnabled(testid('cancel'))).toBe(true);
      await page.click(testid('cancel'));
      await expect.poll(() => attr(page, 'task-state', 'data-state'), { timeout: 30_000 }).toBe('REVOKED');
      await expect(second.get({ timeout: 30_000 })).rejects.toThrow();
      await expect.poll(() => listTaskContainers(second.id), { timeout: 20_000 }).toEqual([]);

      // The list shows both outcomes, and the filters narrow it (other test files' tasks may be
      // on the broker too: searching for this test's own worker keeps to ours).
      await page.click(testid('back'));
      const rowIds = (): Promise<(string | null)[]> =>
        page
          .locator(testid('task-row'))
          // The rows are DOM elements, which this project's lib (no DOM) does not describe.
          .evaluateAll((rows: { getAttribute(name: string): string | null }[]) =>
            rows.map((r) => r.getAttribute('data-task-id')),
          );
      await page.fill(testid('filter-text'), hostname);
      await expect.poll(rowIds).toEqual([second.id, first.id]);
      await page.selectOption(testid('filter-state'), 'REVOKED');
      await expect.poll(rowIds).toEqual([second.id]);
      await page.selectOption(testid('filter-state'), '');
      await page.fill(testid('filter-user'), 'bob');
      await expect.poll(rowIds).toEqual([]);
      await page.fill(testid('filter-user'), 'alice');
      await expect.poll(rowIds).toEqual([second.id, first.id]);
      const listShot = join(screenshots, 'task-list.png');
      await page.screenshot({ path: listShot, fullPage: true });
      process.stdout.write(`dashboard screenshots: ${taskShot} ${listShot}\n`);

      // Everything arrived live: the page loaded once and is the same page.
      expect(watch.loads).toBe(1);
      expect(await page.evaluate(() => (globalThis as { longshoreMarker?: string }).longshoreMarker)).toBe(
        'same page',
      );
      expect(watch.errors).toEqual([]);
      expect(await listTaskContainers(first.id)).toEqual([]);
    } finally {
      await browser?.close();
      await monitor?.close();
      worker.kill('SIGTERM');
      await worker.exited;
    }
    expect(monitorLog.filter((l) => !/skipped/.test(l))).toEqual([]);
  });

  it('reconnects when the monitor goes away and comes back, and updates live again', async () => {
    const quiet = { broker: BROKER, dbPath: ':memory:', log: () => undefined };
    let monitor: RunningMonitor | undefined = await startMonitor({ ...quiet, port: 0 });
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      const watch = watchPage(page);
      await page.goto(monitor.url);
      await page.waitForSelector(`${testid('connection')}[data-state="open"]`);
      await page.evaluate(() => Object.assign(globalThis, { longshoreMarker: 'same page' }));

      const port = Number(new URL(monitor.url).port);
      await monitor.close();
      await page.waitForSelector(`${testid('connection')}[data-state="closed"]`);
      expect(await text(page, 'connection')).toMatch(/retrying in \d/);
      monitor = await startMonitor({ ...quiet, port });
      // The first retries come within a few seconds (backoff from 0.5 s).
      await page.waitForSelector(`${testid('connection')}[data-state="open"]`, { timeout: 20_000 });

      // Updates flow again: a worker that starts now appears.
      const hostname = broker.hostname('reconnect');
      await broker.startWorker({ queues: [broker.queue('reconnect')], concurrency: 1, hostname });
      await page.locator(testid('worker'), { hasText: hostname }).waitFor({ timeout: 30_000 });
      expect(watch.loads).toBe(1);
      expect(await page.evaluate(() => (globalThis as { longshoreMarker?: string }).longshoreMarker)).toBe(
        'same page',
      );
      expect(watch.errors).toEqual([]);
    } finally {
      await browser?.close();
      await monitor?.close();
    }
  });
});
