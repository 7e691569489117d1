#!/usr/bin/env node
// Copies the current working tree (packages, tsconfigs) to a separate directory and builds it there with
// `tsc -b`, so that benchmarks run a fixed build and never write dist/ into a tree that others are editing.
// Usage: node bench/build-snapshot.mjs [dir]   (default /tmp/cairn-bench-snapshot); prints the snapshot dir.
// Then: npm run bench -- --cairn-root <dir>
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const target = path.resolve(process.argv[2] ?? '/tmp/cairn-bench-snapshot')

rmSync(target, { recursive: true, force: true })
mkdirSync(target, { recursive: true })
for (const file of ['package.json', 'tsconfig.json', 'tsconfig.base.json'])
  cpSync(path.join(REPO, file), path.join(target, file))
cpSync(path.join(REPO, 'packages'), path.join(target, 'packages'), {
  recursive: true,
  filter: (source) => !/\/(dist|node_modules)$|\.tsbuildinfo$/.test(source),
})

// Dependencies come from the repo's node_modules, except the workspace links, which point into the snapshot.
const modules = path.join(target, 'node_modules')
mkdirSync(path.join(modules, '@cairn'), { recursive: true })
for (const entry of readdirSync(path.join(REPO, 'node_modules'))) {
  if (entry === '@cairn') continue
  symlinkSync(path.join(REPO, 'node_modules', entry), path.join(modules, entry))
}
for (const pkg of readdirSync(path.join(target, 'packages'))) {
  symlinkSync(path.join(target, 'packages', pkg), path.join(modules, '@cairn', pkg))
  const nested = path.join(REPO, 'packages', pkg, 'node_modules')
  if (existsSync(nested)) symlinkSync(nested, path.join(target, 'packages', pkg, 'node_modules'))
}

const git = (...args) => execFileSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).trim()
const commit = git('rev-parse', '--short', 'HEAD')
const uncommittedFiles = git('status', '--porcelain', '--', 'packages').split('\n').filter(Boolean).length
const record = { source: REPO, commit, uncommittedFiles, builtAt: new Date().toISOString() }
writeFileSync(path.join(target, 'SNAPSHOT.json'), `${JSON.stringify(record, null, 2)}\n`)
execFileSync(path.join(REPO, 'node_modules/.bin/tsc'), ['-b'], { cwd: target, stdio: 'inherit' })
if (!existsSync(path.join(target, 'packages/cli/dist/bin.js')))
  throw new Error('build produced no packages/cli/dist/bin.js')
process.stderr.write(
  `built snapshot of ${REPO} (HEAD ${commit}, ${uncommittedFiles} uncommitted files in packages/) in ${target}\n`,
)
process.stdout.write(`${target}\n`)
