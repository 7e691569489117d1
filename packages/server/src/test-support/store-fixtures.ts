import type { TrackingStore } from '@cairn/store'
import type { Hono } from 'hono'
import { afterAll, beforeAll, describe } from 'vitest'
import type { StoreKind, TestStore } from '../../../store/src/test-support/index.js'
// The store package's own test helpers (fresh SQLite file / PostgreSQL database per suite, STORES).
import {
  createTestStore,
  IS_CI,
  POSTGRES_PROBLEM,
  STORE_KINDS,
} from '../../../store/src/test-support/index.js'
import type { CreateAppOptions } from '../app.js'
import { createApp } from '../app.js'
import type { ApiClient } from './api-client.js'
import { apiClient } from './api-client.js'

/** The app under test, on one real store. */
export interface AppContext {
  readonly kind: StoreKind
  readonly store: TrackingStore
  /** The store's backend URI, to open the same database from elsewhere. */
  readonly uri: string
  readonly app: Hono
  readonly api: ApiClient
}

/**
 * Runs `suite` once per store backend (`STORES`), each on its own fresh database and app. Without
 * a reachable PostgreSQL the PostgreSQL run is skipped, except under `CI=true`, where it fails.
 */
export function describeEachStore(
  title: string,
  suite: (context: AppContext) => void,
  appOptions: Omit<CreateAppOptions, 'store'> = {},
): void {
  for (const kind of STORE_KINDS) {
    const skip = kind === 'postgres' && POSTGRES_PROBLEM !== undefined && !IS_CI
    describe.skipIf(skip)(`${title} [${kind}]`, () => {
      let testStore: TestStore | undefined
      let app: Hono | undefined
      let api: ApiClient | undefined
      beforeAll(async () => {
        testStore = await createTestStore(kind)
        app = createApp({ ...appOptions, store: testStore.store })
        api = apiClient(app)
      })
      afterAll(async () => {
        await testStore?.cleanup()
      })
      const opened = () => {
        if (!testStore || !app || !api)
          throw new Error(`the ${kind} test store is not open (see the beforeAll error)`)
        return { testStore, app, api }
      }
      suite({
        kind,
        get store() {
          return opened().testStore.store
        },
        get uri() {
          return opened().testStore.uri
        },
        get app() {
          return opened().app
        },
        get api() {
          return opened().api
        },
      })
    })
  }
}
