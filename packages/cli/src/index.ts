/** `@cairn/cli`: the `cairn` command-line tool (server, db, experiments, runs, gc). */

export { parseDuration } from './parse-duration.js'
export { createProgram, runCli } from './program.js'
