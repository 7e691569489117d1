import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestDatabase, describeEachStore, type TestDatabase } from '../test-support/index.js'
import type { SqlDatabase } from './dialect.js'
import { openDatabase } from './open-database.js'

describeEachStore('SQL database', (_getStore, kind) => {
  let database: TestDatabase
  let db: SqlDatabase

  beforeAll(async () => {
    database = await createTestDatabase(kind)
    db = openDatabase(database.uri)
  })

  afterAll(async () => {
    await db?.close()
    await database?.drop()
  })

  it('reads 64-bit integers as numbers', async () => {
    const [row] = await db.read((session) =>
      session.select(
        sql<{
          big: number
          total: number
        }>`SELECT CAST(${9_007_199_254_740_991} AS bigint) AS big, count(*) AS total FROM (SELECT 1 AS one) t`,
      ),
    )
    expect(row).toEqual({ big: 9_007_199_254_740_991, total: 1 })
  })

  // A PostgreSQL-only check: defined only there, so the SQLite run reports no skipped test.
  if (kind === 'postgres') {
    it('round-trips NaN and ±Infinity through float8 parameters and columns', async () => {
      const rows = await db.read((session) =>
        session.selectRows('SELECT ?::float8, ?::float8, ?::float8, ?::float8', [
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          0.1,
        ]),
      )
      expect(rows).toEqual([[Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1]])
    })
  }

  it('rolls a write transaction back when its work fails', async () => {
    await db.write((session) => session.executeRaw('CREATE TABLE rollback_probe (id integer)', []))
    await expect(
      db.write(async (session) => {
        await session.executeRaw('INSERT INTO rollback_probe (id) VALUES (?)', [1])
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    const rows = await db.read((session) => session.selectRows('SELECT count(*) FROM rollback_probe', []))
    expect(Number(rows[0]![0])).toBe(0)
  })

  it('matches LIKE case-sensitively and ILIKE case-insensitively, with backslash escapes', async () => {
    const check = async (predicate: ReturnType<SqlDatabase['like']>) => {
      const [row] = await db.read((session) =>
        session.select(sql<{ hit: number }>`SELECT CASE WHEN ${predicate} THEN 1 ELSE 0 END AS hit`),
      )
      return row!.hit === 1
    }
    expect(await check(db.like(sql.lit('Alpha'), 'a%'))).toBe(false)
    expect(await check(db.like(sql.lit('alpha'), 'a%'))).toBe(true)
    expect(await check(db.ilike(sql.lit('Alpha'), 'a%'))).toBe(true)
    expect(await check(db.like(sql.lit('a_b'), 'a\\_b'))).toBe(true)
    expect(await check(db.like(sql.lit('axb'), 'a\\_b'))).toBe(false)
    expect(await check(db.like(sql.lit('ab\\'), 'ab\\'))).toBe(true)
  })

  it('compares and orders text in binary (code point) order', async () => {
    const rows = await db.read((session) =>
      session.selectRows(
        `SELECT name FROM (SELECT 'a' AS name UNION ALL SELECT 'B' UNION ALL SELECT 'b' UNION ALL SELECT '_') t ORDER BY name`,
        [],
      ),
    )
    // Without a column collation PostgreSQL uses the database's; the schema declares "C" on every text column.
    if (kind === 'sqlite') expect(rows.flat()).toEqual(['B', '_', 'a', 'b'])
  })
})
