import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

const source = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url))

/**
 * The UI bundles the SDK and core from their TypeScript sources, so no prior `tsc -b` is needed.
 * `npm run dev` proxies the API to a `cairn server` on :5000.
 */
export default defineConfig({
  base: './',
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^@cairn\/sdk$/, replacement: source('sdk/src/index.ts') },
      { find: /^@cairn\/core$/, replacement: source('core/src/index.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: { '/api': 'http://127.0.0.1:5000', '/ajax-api': 'http://127.0.0.1:5000' },
  },
})
