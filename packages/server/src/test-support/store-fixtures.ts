import type { TrackingStore } from '@cairn/store'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe } from 'vitest'
import type { CreateAppOptions } from '../app.js'
import { createApp } from '../app.js'
import { createScratchStore } from '../scratch-memory-store.js'
import type { ApiClient } from './api-client.js'
import { apiClient } from './api-client.js'

/** The app under test, on one real store. */
export interface AppContext {
  readonly kind: string
  readonly store: TrackingStore
  readonly app: Hono
  readonly api: ApiClient
}

/** Runs `suite` once per store backend, each on a fresh store and app. */
export function describeEachStore(
  title: string,
  suite: (context: AppContext) => void,
  appOptions: Omit<CreateAppOptions, 'store'> = {},
): void {
  for (const kind of ['scratch']) {
    describe(`${title} [${kind}]`, () => {
      let store: TrackingStore | undefined
      let app: Hono | undefined
      let api: ApiClient | undefined
      beforeAll(async () => {
        store = createScratchStore()
        app = createApp({ ...appOptions, store })
        api = apiClient(app)
      })
      afterAll(async () => {
        await store?.close()
      })
      suite({
        kind,
        get store() {
          return store!
        },
        get app() {
          return app!
        },
        get api() {
          return api!
        },
      })
    })
  }
}
