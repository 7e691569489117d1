#!/usr/bin/env -S node --max-semi-space-size=4
// A 4 MiB young generation (V8's default grows to 16–32 MiB per semi-space) keeps the server's peak RSS down
// at equal throughput (docs/benchmarks.md). Launchers that run `node bin.js` pass the same flag.
import { runCli } from './program.js'

process.exitCode = await runCli(process.argv)
