import { constants, existsSync } from 'node:fs'
import { access, cp, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MlflowError } from '@cairn/core'

/** The CPU architectures onnxruntime-node ships Linux binaries for. */
export type ImageArch = 'x64' | 'arm64'

/** The package the image runs; everything else in `app/` is what it needs at run time. */
const ENTRY_PACKAGE = '@cairn/serving'

/** Packages that must never reach the image: the tracking server, its stores and their native SQLite driver. */
const FORBIDDEN_PACKAGES = new Set(['@cairn/server', '@cairn/store', '@cairn/cli', 'better-sqlite3'])

/** Dependencies a package declares only for its install script (onnxruntime-node downloads CUDA binaries with them). */
const INSTALL_ONLY_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  'onnxruntime-node': ['adm-zip', 'global-agent'],
}

/** Folders of a package that only its install or build uses. */
const BUILD_ONLY_FOLDERS: Readonly<Record<string, readonly string[]>> = {
  'onnxruntime-node': ['script', 'lib'],
}

const LICENSE_FILE = /^(licen[cs]e|notice|copying)/i

/** A package copied into the runtime bundle. */
export interface BundledPackage {
  readonly name: string
  readonly version: string
  /** Relative to the bundle's root, e.g. `node_modules/yaml`. */
  readonly path: string
}

interface PackageJson {
  name?: string
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/** Where @cairn/serving sits on disk (its folder holds package.json, src/ and dist/). */
function servingPackageDirectory(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
}

async function readPackageJson(directory: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path.join(directory, 'package.json'), 'utf8')) as PackageJson
}

/** Node's lookup: `<dir>/node_modules/<name>` from `from` up to the file-system root. */
function findPackage(name: string, from: string): string | undefined {
  for (let directory = from; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (path.dirname(directory) === directory) return undefined
  }
}

/** `<root>/node_modules/@cairn/serving`: the workspace link (or the installed folder) that leads to `entry`. */
async function findInstalledEntry(entry: string): Promise<string> {
  for (let directory = path.dirname(entry); ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'node_modules', ...ENTRY_PACKAGE.split('/'))
    if (existsSync(candidate) && (await realpath(candidate)) === entry) return candidate
    if (path.dirname(directory) === directory)
      throw new MlflowError('INVALID_STATE', `${ENTRY_PACKAGE} at '${entry}' is not in a node_modules tree`)
  }
}

/** Whether a file of a package is needed at run time (no types, sources, source maps, docs or tests). */
function isRuntimeFile(name: string): boolean {
  if (LICENSE_FILE.test(name)) return true
  if (/\.(d\.[cm]?ts|[cm]?ts|tsx|map|tsbuildinfo|md|markdown)$/i.test(name)) return false
  return !/\.test\.[cm]?js$/.test(name)
}

async function copyFiltered(
  source: string,
  destination: string,
  skipFolders: ReadonlySet<string>,
): Promise<void> {
  await cp(source, destination, {
    recursive: true,
    verbatimSymlinks: true,
    filter: async (from) => {
      const relative = path.relative(source, from)
      if (relative === '') return true
      const top = relative.split(path.sep)[0]!
      if (top === 'node_modules' || skipFolders.has(relative)) return false
      if ((await stat(from)).isDirectory()) return true
      return isRuntimeFile(path.basename(from))
    },
  })
}

/** Keeps only onnxruntime-node's binary for Linux on `arch` (the package ships Windows, macOS and both Linux ones). */
function onnxruntimeSkips(arch: ImageArch): string[] {
  const platforms = path.join('bin', 'napi-v6')
  return [
    path.join(platforms, 'win32'),
    path.join(platforms, 'darwin'),
    ...(['x64', 'arm64'] as const)
      .filter((other) => other !== arch)
      .map((other) => path.join(platforms, 'linux', other)),
  ]
}

/**
 * Copies the scoring server and what it needs at run time into `destination`, laid out as an installed
 * `node_modules` tree: the built `dist/` of the @cairn packages with their package.json, and the production
 * dependencies they declare, found the way Node finds them (so nested versions stay nested). onnxruntime-node keeps
 * only its Linux binary for `arch`. The @cairn packages must be built (`tsc -b`).
 */
export async function copyServingRuntime(options: {
  readonly destination: string
  readonly arch: ImageArch
}): Promise<BundledPackage[]> {
  const entry = await realpath(servingPackageDirectory())
  const entryLink = await findInstalledEntry(entry)
  // The install's root (the folder holding the top node_modules) lands at the bundle's root; each package's real
  // folder lands where its node_modules path does, so the longest matching prefix places any package.
  const installRoot = path.dirname(path.dirname(path.dirname(entryLink)))
  const placements = new Map<string, string>([[installRoot, options.destination]])
  const bundleLocation = (packagePath: string): string => {
    let best: string | undefined
    for (const prefix of placements.keys()) {
      const inside = packagePath === prefix || packagePath.startsWith(`${prefix}${path.sep}`)
      if (inside && (best === undefined || prefix.length > best.length)) best = prefix
    }
    if (best === undefined)
      throw new MlflowError('INTERNAL_ERROR', `Package folder '${packagePath}' is outside the install root`)
    return path.join(placements.get(best)!, path.relative(best, packagePath))
  }

  const bundled: BundledPackage[] = []
  const copied = new Set<string>()
  const visit = async (name: string, packagePath: string): Promise<void> => {
    if (FORBIDDEN_PACKAGES.has(name))
      throw new MlflowError('INTERNAL_ERROR', `'${name}' must not be part of the serving image`)
    const real = await realpath(packagePath)
    const target = bundleLocation(packagePath)
    if (copied.has(target)) return
    copied.add(target)
    placements.set(real, target)

    const manifest = await readPackageJson(real)
    if (name.startsWith('@cairn/')) {
      const dist = path.join(real, 'dist')
      if (!existsSync(dist))
        throw new MlflowError('INVALID_STATE', `'${name}' is not built: run \`npm run build\` (tsc -b) first`)
      await mkdir(target, { recursive: true })
      await cp(path.join(real, 'package.json'), path.join(target, 'package.json'))
      await copyFiltered(dist, path.join(target, 'dist'), new Set())
    } else {
      const skips = [
        ...(BUILD_ONLY_FOLDERS[name] ?? []),
        ...(name === 'onnxruntime-node' ? onnxruntimeSkips(options.arch) : []),
      ]
      await copyFiltered(real, target, new Set(skips))
    }
    bundled.push({
      name,
      version: manifest.version ?? '',
      path: path.relative(options.destination, target).split(path.sep).join('/'),
    })

    const skipped = new Set(INSTALL_ONLY_DEPENDENCIES[name] ?? [])
    const optional = new Set(Object.keys(manifest.optionalDependencies ?? {}))
    const dependencies = [...Object.keys(manifest.dependencies ?? {}), ...optional].filter(
      (dependency) => !skipped.has(dependency),
    )
    for (const dependency of new Set(dependencies)) {
      const found = findPackage(dependency, real)
      if (found === undefined) {
        if (optional.has(dependency)) continue
        throw new MlflowError('INVALID_STATE', `'${dependency}', a dependency of '${name}', is not installed`)
      }
      await visit(dependency, found)
    }
  }
  await visit(ENTRY_PACKAGE, entryLink)

  const onnxruntime = bundled.find((bundledPackage) => bundledPackage.name === 'onnxruntime-node')
  if (onnxruntime) {
    const binding = path.join(
      options.destination,
      onnxruntime.path,
      'bin',
      'napi-v6',
      'linux',
      options.arch,
      'onnxruntime_binding.node',
    )
    await access(binding, constants.R_OK).catch(() => {
      throw new MlflowError(
        'INVALID_STATE',
        `onnxruntime-node has no Linux ${options.arch} binary (${binding})`,
      )
    })
  }
  return bundled.sort((left, right) => left.path.localeCompare(right.path))
}

/** The bytes of every file under `directory` (symlinks counted as links). */
export async function directorySize(directory: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size
  }
  return total
}
