import type { EndpointInfo } from '../gateway.js'

// The usage, usage-summary and API-key answers are typed by the SDK's gateway client (`@cairn/sdk`); these are the
// answers it does not cover.

/** MLflow's legacy `GET /api/2.0/gateway/routes/` entry. */
export interface LegacyRouteJson {
  name: string
  route_type: string
  route_url: string
}

export interface EndpointListJson {
  endpoints: EndpointInfo[]
  next_page_token?: string
}
