export * from './ast.js'
export { decodePageToken, encodePageToken } from './page-token.js'
export { parseOrderBy } from './parse-order-by.js'
export {
  MAX_SEARCH_FILTER_DEPTH,
  MAX_SEARCH_FILTER_LENGTH,
  parseSearchFilter,
} from './parse-search-filter.js'
export { pythonRepr, pythonSet } from './python-literals.js'
export type { SearchTarget } from './search-target.js'
