import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readGitCommit, resolveSystemTags, SystemMetricsMonitor } from './node.js'

const SRC = dirname(fileURLToPath(import.meta.url))
let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cairn-node-runtime-'))
})

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('readGitCommit', () => {
  it('reads the checked-out commit of a repository from a subdirectory', async () => {
    const repo = join(scratch, 'repo')
    await mkdir(join(repo, 'src/deep'), { recursive: true })
    execFileSync('git', ['init', '-q'], { cwd: repo })
    await writeFile(join(repo, 'a.txt'), 'a')
    execFileSync('git', ['add', '.'], { cwd: repo })
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first'], {
      cwd: repo,
    })
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo }).toString().trim()
    expect(await readGitCommit(join(repo, 'src/deep'))).toBe(head)

    execFileSync('git', ['pack-refs', '--all'], { cwd: repo })
    expect(await readGitCommit(repo)).toBe(head)
  })

  it('follows a .git file to the git directory of a worktree', async () => {
    const gitDir = join(scratch, 'worktree-git')
    const checkout = join(scratch, 'worktree')
    await mkdir(join(gitDir, 'refs/heads'), { recursive: true })
    await mkdir(checkout, { recursive: true })
    const hash = 'a'.repeat(40)
    await writeFile(join(gitDir, 'HEAD'), 'ref: refs/heads/feature\n')
    await writeFile(join(gitDir, 'refs/heads/feature'), `${hash}\n`)
    await writeFile(join(checkout, '.git'), `gitdir: ${gitDir}\n`)
    expect(await readGitCommit(checkout)).toBe(hash)
  })

  it('answers undefined outside a repository', async () => {
    const plain = join(scratch, 'plain')
    await mkdir(plain, { recursive: true })
    expect(await readGitCommit(plain)).toBeUndefined()
  })
})

describe('resolveSystemTags', () => {
  it('names the user, the entry script and a LOCAL source', async () => {
    const tags = await resolveSystemTags()
    expect(tags['mlflow.source.type']).toBe('LOCAL')
    expect(tags['mlflow.source.name']).toBe(process.argv[1])
    expect(tags['mlflow.user']).toBeTruthy()
  })
})

describe('SystemMetricsMonitor', () => {
  it('hands over samples with MLflow names and increasing steps until stopped', async () => {
    const samples: [Record<string, number>, number][] = []
    const monitor = new SystemMetricsMonitor({
      intervalSeconds: 0.05,
      nodeId: 'node0',
      onSample: (metrics, step) => samples.push([metrics, step]),
    })
    monitor.start()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await monitor.stop()
    const count = samples.length
    expect(count).toBeGreaterThanOrEqual(2)
    expect(samples.map(([, step]) => step)).toEqual(samples.map((_, index) => index))
    const [metrics] = samples[0]!
    expect(Object.keys(metrics)).toEqual(
      expect.arrayContaining([
        'system/node0/cpu_utilization_percentage',
        'system/node0/system_memory_usage_megabytes',
        'system/node0/system_memory_usage_percentage',
        'system/node0/disk_usage_percentage',
        'system/node0/disk_usage_megabytes',
        'system/node0/disk_available_megabytes',
      ]),
    )
    const cpu = metrics['system/node0/cpu_utilization_percentage']!
    expect(cpu).toBeGreaterThanOrEqual(0)
    expect(cpu).toBeLessThanOrEqual(100)
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(samples).toHaveLength(count)
  })

  it('reports network counters from the start of monitoring on Linux', async () => {
    const linux = await readFile('/proc/net/dev', 'utf8').then(
      () => true,
      () => false,
    )
    const monitor = new SystemMetricsMonitor({ onSample: () => {} })
    const metrics = await monitor.collect()
    if (linux) {
      expect(metrics.network_receive_megabytes).toBeGreaterThanOrEqual(0)
      expect(metrics.network_transmit_megabytes).toBeGreaterThanOrEqual(0)
    } else {
      expect(metrics.network_receive_megabytes).toBeUndefined()
    }
  })
})

describe('the main entry', () => {
  it('imports no Node built-in module statically, so that browsers can load it', async () => {
    const seen = new Set<string>()
    const visit = async (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const text = await readFile(join(SRC, file), 'utf8')
      expect(text, file).not.toMatch(/^import[^(]*from ['"]node:/m)
      // `import type` is erased from the output, so it does not count.
      for (const match of text.matchAll(
        /^(?:import|export)(?! type )(?:(?!\bfrom\b)[^(;])*from '(\.\/[^']+)\.js'/gm,
      )) {
        await visit(`${match[1]!.slice(2)}.ts`)
      }
    }
    await visit('index.ts')
    expect(seen).toContain('tracker.ts')
    expect(seen).not.toContain('node-runtime.ts')
    expect(seen).not.toContain('system-metrics.ts')
  })
})
