import { MlflowError } from '@cairn/core'

const DURATION = /^(?:([\d.]+)d)?(?:([\d.]+)h)?(?:([\d.]+)m)?(?:([\d.]+)s)?$/
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1000]

/**
 * Parses `mlflow gc`'s `--older-than` format, `#d#h#m#s` with optional decimals
 * (`30d`, `1d2h3m4s`, `1.5h`), into milliseconds.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim())
  const parts = match?.slice(1) ?? []
  if (
    !match ||
    parts.every((part) => part === undefined) ||
    parts.some((part) => part !== undefined && !Number.isFinite(Number(part)))
  ) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `Could not parse any time information from '${text}'. Examples of valid strings: '8h', '2d8h5m20s', '2m4s'`,
    )
  }
  return Math.round(
    parts.reduce((total, part, index) => total + (part ? Number(part) * UNIT_MS[index]! : 0), 0),
  )
}
