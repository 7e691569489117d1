import { decodeRepeatedly, MlflowError } from '@cairn/core'

const MAX_DECODE_ROUNDS = 10
const URL_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/
const WINDOWS_DRIVE = /^[a-zA-Z]:/

/** The error every unsafe artifact path gets, worded as MLflow's `validate_path_is_safe`. */
export function invalidArtifactPath(): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', 'Invalid path')
}

/**
 * Normalises a client-supplied artifact path and refuses anything that could leave the root it is
 * joined to: `..` segments (also percent- or double-encoded), backslashes, absolute and drive paths,
 * NUL and other control characters, `#`, and URL schemes (`file:`, `s3:`, `http:` …). Returns the
 * path relative to the root without empty or `.` segments; `''` is the root itself.
 *
 * @throws MlflowError `INVALID_PARAMETER_VALUE` "Invalid path"
 * @example
 * normalizeArtifactPath('dir//./model.pkl') // 'dir/model.pkl'
 * normalizeArtifactPath('%2e%2e/etc/passwd') // throws
 */
export function normalizeArtifactPath(path: string): string {
  // Decoded until stable, so `%252e%252e` is seen as `..` too; a malformed or endless escape is refused.
  const decoding = decodeRepeatedly(path, { maxRounds: MAX_DECODE_ROUNDS })
  if (decoding.outcome !== 'stable') throw invalidArtifactPath()
  const decoded = decoding.text
  for (const text of [path, decoded]) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
    if (/[\u0000-\u001f\u007f]/.test(text) || text.includes('\\') || text.includes('#')) {
      throw invalidArtifactPath()
    }
    if (text.startsWith('/') || WINDOWS_DRIVE.test(text) || URL_SCHEME.test(text)) throw invalidArtifactPath()
  }
  const segments: string[] = []
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue
    // Windows ignores trailing dots and spaces, so `.. ` and `...` would climb there.
    if (/^\.\.[. ]*$/.test(segment)) throw invalidArtifactPath()
    segments.push(segment)
  }
  return segments.join('/')
}

/** `normalizeArtifactPath` for optional inputs: absent or empty means the root (`''`). */
export function normalizeOptionalArtifactPath(path: string | undefined | null): string {
  return path === undefined || path === null || path === '' ? '' : normalizeArtifactPath(path)
}

/**
 * Joins a trusted base path (already inside a root) with a client-supplied relative path, refusing
 * any relative path `normalizeArtifactPath` refuses.
 *
 * @example
 * joinArtifactPath('1/abc/artifacts', 'model/MLmodel') // '1/abc/artifacts/model/MLmodel'
 */
export function joinArtifactPath(base: string, relative: string | undefined): string {
  const tail = normalizeOptionalArtifactPath(relative)
  const head = base.replace(/\/+$/, '')
  if (head === '') return tail
  return tail === '' ? head : `${head}/${tail}`
}
