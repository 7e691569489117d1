export * from './entities.js'
export * from './errors.js'
export * from './limits.js'
export * from './search/ast.js'
