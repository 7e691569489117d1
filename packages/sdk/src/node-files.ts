/** Node-only helpers for moving many local files: a bounded worker loop and a recursive file listing. */
import { readdir } from 'node:fs/promises'
import path from 'node:path'

/**
 * Runs `work` on every item, at most `limit` at once. After the first failure no new item starts, and the promise
 * settles only when no work is running (so a caller's cleanup after a failure cannot race a write).
 */
export async function runLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failed = false
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++] as T)
      } catch (error) {
        failed = true
        throw error
      }
    }
  })
  const results = await Promise.allSettled(workers)
  const rejected = results.find((result) => result.status === 'rejected')
  if (rejected) throw rejected.reason
}

/** The files below `root` (recursively, sorted, `/`-separated paths relative to it); symlinks are skipped. */
export async function walkFiles(root: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true })
  const files: string[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`
    if (entry.isDirectory()) files.push(...(await walkFiles(root, child)))
    else if (entry.isFile()) files.push(child)
  }
  return files
}
