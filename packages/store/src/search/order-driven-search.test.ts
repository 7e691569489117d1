import type { FilterExpression, OrderBy } from '@cairn/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SqlDatabase } from '../dialect/dialect.js'
import { openDatabase } from '../dialect/open-database.js'
import type { RunRow } from '../run-rows.js'
import { prepareSchema } from '../schema/migrate.js'
import { SqlTrackingStore } from '../sql-tracking-store.js'
import { createTestDatabase, describeEachStore, type TestDatabase } from '../test-support/index.js'
import type { SearchRunsInput } from '../tracking-store.js'
import { buildOrderDrivenSearchQuery, buildSearchRunsQuery } from './run-search-sql.js'

const cmp = (entity: 'metric' | 'param', key: string, comparator: '>' | '!=', value: string | number) =>
  ({ kind: 'comparison', entity, key, comparator, value }) as const

describeEachStore('search ordered by one metric', (_getStore, kind) => {
  let database: TestDatabase
  let db: SqlDatabase
  let store: SqlTrackingStore
  let experimentId: string

  beforeAll(async () => {
    database = await createTestDatabase(kind)
    db = openDatabase(database.uri)
    await prepareSchema(db, database.uri)
    store = new SqlTrackingStore(db, 'mlflow-artifacts:/')
    experimentId = await store.createExperiment({ name: 'ordered' })
    const other = await store.createExperiment({ name: 'elsewhere' })
    for (let index = 0; index < 90; index++) {
      const run = await store.createRun({
        experimentId: index % 5 === 0 ? other : experimentId,
        userId: 'u',
        runName: `r${index}`,
        startTime: index % 4,
        tags: [],
      })
      await store.logBatch({
        runId: run.info.runId,
        metrics: [
          // Few distinct values: ties on the order metric and on start time everywhere.
          { key: 'a', value: (index * 37) % 6, timestamp: 1, step: 0 },
          ...(index % 3 ? [{ key: 'b', value: index % 7, timestamp: 1, step: 0 }] : []),
          { key: 'c', value: index % 8 === 0 ? Number.NaN : (index * 13) % 5, timestamp: 1, step: 0 },
        ],
        params: [{ key: 'p', value: `v${index % 3}` }],
        tags: [],
      })
    }
  })

  afterAll(async () => {
    await db?.close()
    await database?.drop()
  })

  const filters: [string, FilterExpression][] = [
    ['param', cmp('param', 'p', '!=', 'v2')],
    [
      'metric and param',
      { kind: 'and', operands: [cmp('metric', 'b', '>', 1), cmp('param', 'p', '!=', 'v0')] },
    ],
  ]
  const cases = filters.flatMap(([name, filter]) =>
    ['a', 'b', 'c'].flatMap((key) =>
      [true, false].flatMap((ascending) =>
        [
          [0, 5],
          [3, 7],
          [0, 40],
          [20, 4],
          [0, 200],
        ].map(([offset, maxResults]) => ({
          name,
          filter,
          key,
          ascending,
          offset: offset!,
          maxResults: maxResults!,
        })),
      ),
    ),
  )

  const inputFor = (c: (typeof cases)[number], offset: number, maxResults: number): SearchRunsInput => ({
    experimentIds: [experimentId],
    filter: c.filter,
    viewType: 'ACTIVE_ONLY',
    maxResults,
    orderBy: [{ entity: 'metric', key: c.key, ascending: c.ascending }] as OrderBy[],
    offset,
  })

  const fullOrder = async (c: (typeof cases)[number]) =>
    (await db.read((session) => session.select<RunRow>(buildSearchRunsQuery(db, inputFor(c, 0, 1000))))).map(
      (row) => row.run_uuid,
    )

  it('returns the same page as the join-driven query, with ties, NaN and missing values', async () => {
    for (const c of cases) {
      const expected = (await fullOrder(c)).slice(c.offset, c.offset + c.maxResults)
      const page = await store.searchRuns(inputFor(c, c.offset, c.maxResults))
      expect(
        page.items.map((run) => run.info.runId),
        `${c.name}, order by ${c.key} ${c.ascending ? 'ASC' : 'DESC'}, ${c.offset}+${c.maxResults}`,
      ).toEqual(expected)
    }
  })

  // The fast path is SQLite's only.
  if (kind === 'sqlite') {
    it('reads the leading numeric values in index order', async () => {
      for (const c of cases.filter((entry) => entry.key === 'a' && entry.maxResults < 100)) {
        const wanted = c.offset + c.maxResults
        const rows = await db.read((session) =>
          session.select(buildOrderDrivenSearchQuery(db, inputFor(c, c.offset, c.maxResults), 1000)),
        )
        expect(rows.map((row) => row.run_uuid)).toEqual((await fullOrder(c)).slice(0, wanted))
      }
    })
  }
})
