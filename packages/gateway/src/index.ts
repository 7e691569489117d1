export { GatewayConfigError } from './config/config-error.js'
export {
  type EndpointConfig,
  type GatewayConfig,
  hashApiKey,
  loadGatewayConfig,
  parseGatewayConfig,
  type RouteConfig,
} from './config/gateway-config.js'
export { watchGatewayConfig } from './config/watch-config.js'
export { type EndpointInfo, Gateway, type GatewayOptions, type InvocationKind } from './gateway.js'
export { encodeEventStreamMessage } from './http/stream-parsers.js'
export { MemoryGatewayStore } from './limits/memory-gateway-store.js'
export { createProvider, PROVIDER_NAMES } from './providers/create-provider.js'
export type { Provider } from './providers/provider.js'
export { signRequest } from './providers/sigv4.js'
export { handleFetchRequest, readRequestText } from './server/fetch-adapter.js'
export {
  type GatewayHttpRequest,
  type GatewayHttpResponse,
  handleGatewayRequest,
} from './server/gateway-routes.js'
export { createNodeHandler } from './server/node-adapter.js'
export { type RunningGateway, type StartGatewayOptions, startGateway } from './start-gateway.js'
export type * from './types.js'
