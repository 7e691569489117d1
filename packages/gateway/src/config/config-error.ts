/** A configuration problem, naming the file and line it comes from. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError'
  constructor(
    message: string,
    readonly line?: number,
    readonly source?: string,
  ) {
    super(`${source ?? 'gateway config'}${line !== undefined ? `:${line}` : ''}: ${message}`)
  }
}
