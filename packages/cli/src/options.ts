import { InvalidArgumentError, Option } from 'commander'

/** A commander parser for a non-negative integer option. */
export function parseInteger(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} must be a non-negative integer.`)
    return Number(value)
  }
}

/** `--tracking-uri`, defaulting (in the SDK) to CAIRN_TRACKING_URI, MLFLOW_TRACKING_URI, then http://127.0.0.1:5000. */
export function trackingUriOption(): Option {
  return new Option(
    '--tracking-uri <uri>',
    'tracking server URL (default $CAIRN_TRACKING_URI, $MLFLOW_TRACKING_URI or http://127.0.0.1:5000)',
  )
}

/** `--view`: which lifecycle stages to list. */
export function viewOption(): Option {
  return new Option('-v, --view <view>', 'lifecycle stages to list')
    .choices(['active_only', 'deleted_only', 'all'])
    .default('active_only')
}

/** `--json`: machine-readable output. */
export function jsonOption(): Option {
  return new Option('--json', 'print JSON instead of a table')
}
