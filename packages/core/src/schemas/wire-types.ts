import { z } from 'zod'
import type { RunStatus, ViewType } from '../entities.js'
import { RUN_STATUS_NUMBERS, RUN_STATUSES, VIEW_TYPE_NUMBERS, VIEW_TYPES } from '../entities.js'
import type { Int64Value } from '../int64.js'
import { isInt64, toInt64Value } from '../int64.js'

/**
 * Marks a refinement whose message is MLflow's own text, so the server reports it verbatim
 * instead of the generic `Invalid value … supplied` message.
 */
export const MLFLOW_MESSAGE = { mlflowMessage: true } as const

const INT64_TEXT = /^-?\d{1,19}$/
const DOUBLE_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/

/**
 * A 64-bit integer on the wire: a JSON integer or a string of digits (proto JSON allows both).
 * Decoded to a `number`; values outside the safe-integer range are rejected.
 */
export const Int64 = z
  .union([z.int(), z.string().regex(INT64_TEXT)])
  .transform((value) => Number(value))
  .pipe(z.int())

/**
 * A JSON integer of any size: a safe-integer `number`, or a `bigint` beyond ±2^53 (as
 * `parseExactJson` decodes those, and the server writes them back).
 */
const JsonInteger = z
  .custom<number | bigint>((value) => typeof value === 'bigint' || Number.isSafeInteger(value))
  .meta({ type: 'integer', format: 'int64' })

/**
 * A 64-bit integer kept exactly (metric steps and timestamps): a JSON integer of any size or a
 * string of digits. Decoded to an `Int64Value`; values outside the int64 range are rejected.
 */
export const ExactInt64 = z
  .union([JsonInteger, z.string().regex(INT64_TEXT)])
  .transform((value): Int64Value => (typeof value === 'number' ? value : toInt64Value(value)))
  .refine(isInt64)

/** An int64 in a response: a JSON integer, written exactly whatever its size. */
export const WireInt64 = JsonInteger
export type WireInt64 = z.infer<typeof WireInt64>

/** A 32-bit integer on the wire: a JSON integer or a string of digits. */
export const Int32 = z
  .union([z.int32(), z.string().regex(/^-?\d{1,10}$/)])
  .transform((value) => Number(value))
  .pipe(z.int32())

/** The JSON spellings of the non-finite doubles, as proto JSON writes them. */
export const NON_FINITE_DOUBLES = ['NaN', 'Infinity', '-Infinity'] as const
export type NonFiniteDouble = (typeof NON_FINITE_DOUBLES)[number]

/**
 * A double in a request: a JSON number, `"NaN"`, `"Infinity"`, `"-Infinity"` or a numeric string.
 * Decoded to a `number` (possibly NaN or ±Infinity). A large double written as an integer
 * (`100000000000000000000`) arrives from `parseExactJson` as a `bigint` and is taken as that double.
 */
export const DoubleInput = z.preprocess(
  (value) => (typeof value === 'bigint' ? Number(value) : value),
  z
    .union([z.number(), z.enum(NON_FINITE_DOUBLES), z.string().regex(DOUBLE_TEXT)])
    .transform((value) => (typeof value === 'number' ? value : Number(value))),
)

/** A double in a response: a JSON number, or `"NaN"` / `"Infinity"` / `"-Infinity"`. */
export const WireDouble = z.union([z.number(), z.enum(NON_FINITE_DOUBLES)])
export type WireDouble = z.infer<typeof WireDouble>

/**
 * Encodes a double the way proto JSON does: non-finite values become strings.
 *
 * @example
 * JSON.stringify({ value: encodeDouble(Number.NaN) }) // '{"value":"NaN"}'
 */
export function encodeDouble(value: number): WireDouble {
  if (Number.isFinite(value)) return value
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? 'Infinity' : '-Infinity'
}

/** Decodes a double from a response (`"NaN"` → NaN, …). */
export function decodeDouble(value: WireDouble | string): number {
  return typeof value === 'number' ? value : Number(value)
}

/** An experiment id: a string, or an integer that is turned into its string form. */
export const ExperimentId = z.union([z.string(), z.int()]).transform((value) => String(value))

/** A string the request must carry; `""` counts as missing, as in MLflow. */
export const RequiredString = z.string().min(1)

const RUN_STATUS_NUMBER_VALUES = Object.keys(RUN_STATUS_NUMBERS).map(Number) as [number, ...number[]]
const VIEW_TYPE_NUMBER_VALUES = Object.keys(VIEW_TYPE_NUMBERS).map(Number) as [number, ...number[]]

/** A `RunStatus` in a request: by name (`"FINISHED"`) or by proto number (`3` or `"3"`). */
export const RunStatusInput = z
  .union([
    z.enum(RUN_STATUSES),
    z.literal(RUN_STATUS_NUMBER_VALUES),
    z.enum(RUN_STATUS_NUMBER_VALUES.map(String) as [string, ...string[]]),
  ])
  .transform(
    (value): RunStatus =>
      typeof value === 'number' || /^\d+$/.test(value)
        ? RUN_STATUS_NUMBERS[Number(value)]!
        : (value as RunStatus),
  )

/** A `ViewType` in a request: by name (`"ALL"`) or by proto number (`3` or `"3"`). */
export const ViewTypeInput = z
  .union([
    z.enum(VIEW_TYPES),
    z.literal(VIEW_TYPE_NUMBER_VALUES),
    z.enum(VIEW_TYPE_NUMBER_VALUES.map(String) as [string, ...string[]]),
  ])
  .transform(
    (value): ViewType =>
      typeof value === 'number' || /^\d+$/.test(value)
        ? VIEW_TYPE_NUMBERS[Number(value)]!
        : (value as ViewType),
  )

/** A key/value pair in a request (experiment tag, run tag, param). A missing value means `""`. */
export const KeyValueInput = z.object({
  key: z.string(),
  value: z.string().optional(),
})

/** The error body of every failed call. */
export const ErrorResponse = z
  .object({
    error_code: z.string().meta({ description: 'MLflow error code, e.g. RESOURCE_DOES_NOT_EXIST' }),
    message: z.string(),
  })
  .meta({ id: 'ErrorResponse' })
export type ErrorResponse = z.infer<typeof ErrorResponse>

/** The body of calls that answer with nothing: `{}`. */
export const EmptyResponse = z.object({}).meta({ id: 'EmptyResponse' })
export type EmptyResponse = z.infer<typeof EmptyResponse>
