import { configDefaults, defineConfig } from 'vitest/config';

// Two tiers. A unit test is a file named `*.unit.test.ts`, beside the code in src/ or in test/: it
// needs no Docker engine, no broker, no Girder test server and no child worker process (files, FIFOs,
// a local HTTP server and short-lived `sh` children are fine), so that `npm run test:unit` runs
// anywhere, quickly. Every other `*.test.ts` is an integration test (`npm run test:integration`),
// run after test/global-setup.ts has checked the engine, the test images and the registry.
const UNIT = '**/*.unit.test.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [`src/${UNIT}`, `test/${UNIT}`],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, UNIT],
          // Separate processes: the leftover-container reaper keys ownership on the process id.
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
