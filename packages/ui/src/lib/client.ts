import { CairnClient } from '@cairn/sdk'
import { createContext, useContext } from 'react'

/** The client of the server that served the page (its origin and path, without the hash). */
export function clientForPage(): CairnClient {
  const base = `${window.location.origin}${window.location.pathname.replace(/\/(index\.html)?$/, '')}`
  return new CairnClient({ trackingUri: base, retries: { maxRetries: 2 }, timeoutMs: 60_000 })
}

export const ClientContext = createContext<CairnClient | undefined>(undefined)

/** The SDK client every page talks to the server through. */
export function useClient(): CairnClient {
  const client = useContext(ClientContext)
  if (!client) throw new Error('useClient outside <ClientContext.Provider>')
  return client
}
