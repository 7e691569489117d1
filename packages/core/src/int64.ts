/**
 * A 64-bit integer, such as a metric step or timestamp: a `number` while it is a safe integer
 * (|value| ≤ 2^53 − 1) and a `bigint` beyond. Values are kept in this canonical form, so `===` tells
 * equal values apart and `<` / `>` order them exactly whatever their types; `toInt64Value` makes it.
 *
 * @example
 * const step: Int64Value = toInt64Value('9007199254740993') // 9007199254740993n
 */
export type Int64Value = number | bigint

/** Smallest value of a 64-bit signed integer. */
export const INT64_MIN = -(2n ** 63n)
/** Largest value of a 64-bit signed integer. */
export const INT64_MAX = 2n ** 63n - 1n

/**
 * The canonical form of an integer: a `number` when safe, a `bigint` otherwise. A string must hold
 * decimal digits (`BigInt` throws a `SyntaxError` otherwise); an unsafe `number` has already lost
 * precision and is converted as it stands.
 */
export function toInt64Value(value: bigint | number | string): Int64Value {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : BigInt(value)
  const big = typeof value === 'bigint' ? value : BigInt(value)
  return big >= -Number.MAX_SAFE_INTEGER && big <= Number.MAX_SAFE_INTEGER ? Number(big) : big
}

/** Whether an integer fits in 64 signed bits. */
export function isInt64(value: Int64Value): boolean {
  return value >= INT64_MIN && value <= INT64_MAX
}

/** Orders two integers exactly (for `Array.prototype.sort`). */
export function compareInt64(left: Int64Value, right: Int64Value): number {
  return left < right ? -1 : left > right ? 1 : 0
}
