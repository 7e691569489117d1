import type { Kysely } from 'kysely'
import type { DialectKind } from '../dialect/dialect.js'

/** Tables of gateway keys, limits and usage (issue 7). */
export async function createGatewaySchema(_db: Kysely<unknown>, _kind: DialectKind): Promise<void> {}

export async function dropGatewaySchema(_db: Kysely<unknown>): Promise<void> {}
