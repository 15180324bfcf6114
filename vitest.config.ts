import { defineConfig } from 'vitest/config';

// One run over every package (each package's own vitest.config.ts is a project), so CI gets one summary.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts'],
    reporters: ['default', './scripts/summary-reporter.mjs'],
    globalSetup: ['./scripts/test-database.mjs'],
  },
});
