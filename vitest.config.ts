import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@cairn\/sdk\/node$/, replacement: src('sdk/src/node.ts') },
      ...['core', 'artifacts', 'store', 'server', 'sdk', 'gateway', 'models', 'serving'].map((name) => ({
        find: new RegExp(`^@cairn/${name}$`),
        replacement: src(`${name}/src/index.ts`),
      })),
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
