import { execFile } from 'node:child_process'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)
const STALE_LOCK_MS = 5 * 60_000

/**
 * Runs `npx tsc -b <project>` in the repository, one build at a time across test processes: test
 * files of several packages build overlapping projects, and two `tsc -b` writing the same outputs
 * at once can read each other's half-written files.
 */
export async function buildProject(repo: string, project: string): Promise<void> {
  const lock = join(repo, 'node_modules', '.cache', 'cairn-test-build.lock')
  await mkdir(join(lock, '..'), { recursive: true })
  for (;;) {
    try {
      await mkdir(lock)
      break
    } catch {
      const since = await stat(lock).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      )
      if (since > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true })
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  try {
    await run('npx', ['tsc', '-b', project], { cwd: repo })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`tsc -b ${project} failed:\n${stdout}${stderr}`)
  } finally {
    await rm(lock, { recursive: true, force: true })
  }
}
