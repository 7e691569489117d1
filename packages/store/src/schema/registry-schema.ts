import type { Kysely } from 'kysely'
import type { DialectKind } from '../dialect/dialect.js'

/** Tables of registered models, model versions, aliases, tags, logged models, webhooks (issue 4). */
export async function createRegistrySchema(_db: Kysely<unknown>, _kind: DialectKind): Promise<void> {}

export async function dropRegistrySchema(_db: Kysely<unknown>): Promise<void> {}
