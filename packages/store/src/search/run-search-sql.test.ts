import type { FilterExpression, OrderBy } from '@cairn/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SqlDatabase } from '../dialect/dialect.js'
import { openDatabase } from '../dialect/open-database.js'
import type { RunRow } from '../run-rows.js'
import { prepareSchema } from '../schema/migrate.js'
import { SqlTrackingStore } from '../sql-tracking-store.js'
import { createTestDatabase, describeEachStore, type TestDatabase } from '../test-support/index.js'
import { buildSearchRunsQuery, valueJoins } from './run-search-sql.js'

const cmp = (
  entity: 'metric' | 'param' | 'tag',
  key: string,
  comparator: '=' | '>' | '<' | '!=' | 'LIKE',
  value: string | number,
) => ({ kind: 'comparison', entity, key, comparator, value }) as const

describeEachStore('search join order', (_getStore, kind) => {
  let database: TestDatabase
  let db: SqlDatabase
  let experimentId: string

  beforeAll(async () => {
    database = await createTestDatabase(kind)
    db = openDatabase(database.uri)
    await prepareSchema(db, database.uri)
    const store = new SqlTrackingStore(db, 'mlflow-artifacts:/')
    experimentId = await store.createExperiment({ name: 'joins' })
    const other = await store.createExperiment({ name: 'others' })
    for (let index = 0; index < 80; index++) {
      const run = await store.createRun({
        experimentId: index % 4 === 0 ? other : experimentId,
        userId: 'u',
        runName: `r${index}`,
        startTime: index % 9,
        tags: [],
      })
      await store.logBatch({
        runId: run.info.runId,
        metrics: [
          { key: 'a', value: (index * 37) % 11, timestamp: 1, step: 0 },
          ...(index % 3 ? [{ key: 'b', value: index % 7, timestamp: 1, step: 0 }] : []),
        ],
        params: [{ key: 'p', value: `v${index % 5}` }],
        tags: index % 2 ? [{ key: 't', value: `t${index % 3}` }] : [],
      })
    }
  })

  afterAll(async () => {
    await db?.close()
    await database?.drop()
  })

  it.each([
    ['one join', cmp('metric', 'a', '>', 4), []],
    [
      'metric and param',
      { kind: 'and', operands: [cmp('metric', 'a', '>', 2), cmp('param', 'p', '=', 'v1')] },
      [{ entity: 'metric', key: 'b', ascending: false }],
    ],
    [
      'three joins',
      {
        kind: 'and',
        operands: [cmp('metric', 'b', '<', 5), cmp('tag', 't', 'LIKE', 't%'), cmp('param', 'p', '!=', 'v2')],
      },
      [{ entity: 'tag', key: 't', ascending: true }],
    ],
  ] as const)(
    'returns the same page whichever table the query starts from: %s',
    async (_name, filter, orderBy) => {
      const input = {
        experimentIds: [experimentId],
        filter: filter as FilterExpression,
        viewType: 'ACTIVE_ONLY' as const,
        maxResults: 1000,
        orderBy: orderBy as unknown as OrderBy[],
        offset: 0,
      }
      const drivers = [undefined, -1, ...valueJoins(input.filter).keys()]
      const pages = []
      for (const driver of drivers) {
        const rows = await db.read((session) =>
          session.select<RunRow>(buildSearchRunsQuery(db, input, driver)),
        )
        pages.push(rows.map((row) => row.run_uuid))
      }
      expect(pages[0]!.length).toBeGreaterThan(0)
      for (const page of pages) expect(page).toEqual(pages[0])
    },
  )
})
