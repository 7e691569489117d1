import type { GatewayStore } from '@cairn/core'
import { openDatabase, redactUri } from '../dialect/open-database.js'
import { prepareSchema } from '../schema/migrate.js'
import { SqlGatewayStore } from './sql-gateway-store.js'

export interface ClosableGatewayStore extends GatewayStore {
  /** Deletes expired request and token windows (also done hourly by the store itself). */
  purgeCounters(now?: number): Promise<number>
  close(): Promise<void>
}

/**
 * Opens the gateway's tables in the database at `uri` (the same URIs as the tracking store), creating the
 * schema in a fresh database. Several gateway processes may share one database: their limits are shared.
 */
export async function openGatewayStore(uri: string): Promise<ClosableGatewayStore> {
  const db = openDatabase(uri)
  try {
    await prepareSchema(db, redactUri(uri))
  } catch (error) {
    await db.close().catch(() => {})
    throw error
  }
  const store = new SqlGatewayStore(db)
  return Object.assign(store, { close: () => db.close() })
}
