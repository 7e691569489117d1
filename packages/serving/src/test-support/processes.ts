import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url))
export const SERVING_BIN = path.join(REPO, 'packages/serving/dist/bin.js')

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A scoring server child process. */
export interface ServingProcess {
  readonly url: string
  readonly child: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output(): string
  stop(): Promise<void>
}

/** Spawns `node <args>` (a scoring server listening on `port`) and resolves once GET /ping answers 200. */
export async function spawnServing(options: {
  args: string[]
  port: number
  env?: Record<string, string>
  cwd?: string
}): Promise<ServingProcess> {
  const child = spawn(process.execPath, options.args, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const url = `http://127.0.0.1:${options.port}`
  const handle: ServingProcess = {
    url,
    child,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the scoring server exited early (${child.exitCode ?? child.signalCode}):\n${output}`)
    }
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    )
    if (ok) return handle
    if (Date.now() > deadline) {
      await handle.stop()
      throw new Error(`the scoring server did not answer /ping within 60 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Requests `/invocations` in a loop until `stop()`; counts failures and collects the distinct answers in order. */
export function loadLoop(url: string, body: string, concurrency = 4) {
  let running = true
  const failures: string[] = []
  const answers: string[] = []
  let count = 0
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const response = await fetch(`${url}/invocations`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.timeout(10_000),
        })
        const text = await response.text()
        count++
        if (response.status !== 200) failures.push(`${response.status} ${text}`)
        else if (answers.at(-1) !== text) answers.push(text)
      } catch (error) {
        failures.push(String(error))
      }
    }
  })
  return {
    get count() {
      return count
    },
    answers,
    failures,
    async stop() {
      running = false
      await Promise.all(loops)
    },
  }
}
