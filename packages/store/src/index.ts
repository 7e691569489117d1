export {
  type CreateTrackingStoreOptions,
  createTrackingStore,
  migrateToLatest,
} from './create-tracking-store.js'
export { parseStoreUri, type StoreLocation } from './dialect/open-database.js'
export type * from './tracking-store.js'
