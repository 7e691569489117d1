import { MlflowError } from '@cairn/core'

/** Missing cells a dataframe may be padded with whatever its size (sparse records, ragged rows, broadcast scalars). */
const MAX_MISSING_CELLS = 1_000_000

/**
 * Refuses to build a `rows × columns` frame out of `present` values when it would be mostly filler: a small body of
 * sparse records or broadcast scalars would otherwise allocate rows × columns cells and exhaust memory.
 *
 * @throws MlflowError `BAD_REQUEST`
 */
export function checkFrameDensity(rows: number, columns: number, present: number): void {
  const missing = rows * columns - present
  if (missing > Math.max(MAX_MISSING_CELLS, present)) {
    throw new MlflowError(
      'BAD_REQUEST',
      `Invalid input. The input would make a dataframe of ${rows} rows × ${columns} columns out of ${present} values;` +
        ` Cairn refuses to fill ${missing} missing cells. Send the rows with the same columns.`,
    )
  }
}
