export {
  type CreateTrackingStoreOptions,
  createStores,
  createTrackingStore,
  migrateToLatest,
  registryStoreOf,
  type Stores,
} from './create-tracking-store.js'
export { parseStoreUri, type StoreLocation } from './dialect/open-database.js'
export { type ClosableGatewayStore, openGatewayStore } from './gateway/open-gateway-store.js'
export { SqlGatewayStore } from './gateway/sql-gateway-store.js'
export { parseLoggedModelFilter } from './registry/logged-model-filter.js'
export type * from './registry/registry-store.js'
export type * from './tracking-store.js'
