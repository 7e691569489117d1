#!/usr/bin/env node
import { startScoringServer } from './scoring-server.js'
// The standalone scoring server used by container images: only core, models, sdk and serving are needed.
import { parseServeArguments, SERVE_USAGE } from './serve-arguments.js'

let options: ReturnType<typeof parseServeArguments>
try {
  options = parseServeArguments(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${SERVE_USAGE}`)
  process.exit(2)
}
if (!options) {
  process.stdout.write(SERVE_USAGE)
  process.exit(0)
}
try {
  const server = await startScoringServer(options)
  process.stderr.write(
    `Serving ${server.model.uri}${server.model.version ? ` (version ${server.model.version})` : ''} at ${server.url}\n`,
  )
} catch (error) {
  process.stderr.write(
    `Could not start the scoring server: ${error instanceof Error ? error.message : String(error)}\n`,
  )
  process.exit(1)
}
