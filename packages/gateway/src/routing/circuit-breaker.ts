import type { CircuitBreakerPolicy } from '../config/gateway-config.js'

interface CircuitState {
  failures: number
  /** While open: until when calls are refused. */
  openUntil: number
  /** A trial call is under way after the cooldown (half-open). */
  trial: boolean
}

export type CircuitStatus = 'closed' | 'open' | 'half-open'

/**
 * One circuit per provider target: `failureThreshold` consecutive failures open it for `cooldownMs`, after
 * which one trial call is let through (half-open); its success closes the circuit, its failure reopens it.
 * State survives config reloads (targets are keyed by endpoint, provider and model).
 */
export class CircuitBreakers {
  readonly #states = new Map<string, CircuitState>()

  /** Whether a call may go to `target` now (taking the half-open trial slot if due). */
  tryAcquire(target: string, now = Date.now()): boolean {
    const state = this.#states.get(target)
    if (!state || state.openUntil === 0) return true
    if (now < state.openUntil || state.trial) return false
    state.trial = true
    return true
  }

  recordSuccess(target: string): void {
    const state = this.#states.get(target)
    if (state) {
      state.failures = 0
      state.openUntil = 0
      state.trial = false
    }
  }

  /**
   * Ends a call that says nothing about the provider (the client went away, the request was refused before
   * reaching it): a half-open trial slot it held goes to the next call instead of staying taken for ever.
   */
  release(target: string): void {
    const state = this.#states.get(target)
    if (state) state.trial = false
  }

  recordFailure(target: string, policy: CircuitBreakerPolicy, now = Date.now()): void {
    let state = this.#states.get(target)
    if (!state) {
      state = { failures: 0, openUntil: 0, trial: false }
      this.#states.set(target, state)
    }
    state.failures++
    if (state.trial || state.failures >= policy.failureThreshold) {
      state.openUntil = now + policy.cooldownMs
      state.trial = false
    }
  }

  status(target: string, now = Date.now()): CircuitStatus {
    const state = this.#states.get(target)
    if (!state || state.openUntil === 0) return 'closed'
    return now < state.openUntil ? 'open' : 'half-open'
  }

  targets(): string[] {
    return [...this.#states.keys()]
  }
}
