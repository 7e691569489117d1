import type { WebhookEvent } from '@cairn/core'
import type { RegistryStore } from '@cairn/store'

function eventKey(event: WebhookEvent): string {
  return `${event.entity}.${event.action}`
}

/**
 * The events some active webhook is subscribed to, read at most once per `ttlMs` in this process, so a
 * registry write with no webhook to notify costs no query. Changes made through this process apply at once
 * (`invalidate`); those made through another replica within `ttlMs`.
 */
export class WebhookSubscriptions {
  #keys: Set<string> | undefined
  #loadedAt = 0
  #loading: Promise<Set<string>> | undefined
  #generation = 0

  constructor(
    private readonly store: RegistryStore,
    private readonly ttlMs: number,
  ) {}

  /** Whether any of `events` has an active subscriber. */
  async hasAny(events: readonly WebhookEvent[]): Promise<boolean> {
    const keys = await this.current()
    return events.some((event) => keys.has(eventKey(event)))
  }

  invalidate(): void {
    this.#keys = undefined
    this.#loading = undefined
    this.#generation++
  }

  private current(): Promise<Set<string>> {
    if (this.#keys && Date.now() - this.#loadedAt < this.ttlMs) return Promise.resolve(this.#keys)
    if (this.#loading) return this.#loading
    const generation = this.#generation
    const startedAt = Date.now()
    const loading = this.store.listSubscribedWebhookEvents().then(
      (events) => {
        const keys = new Set(events.map(eventKey))
        if (generation === this.#generation) {
          this.#keys = keys
          this.#loadedAt = startedAt
          this.#loading = undefined
        }
        return keys
      },
      (error: unknown) => {
        if (generation === this.#generation) this.#loading = undefined
        throw error
      },
    )
    this.#loading = loading
    return loading
  }
}
