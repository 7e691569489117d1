import { randomUUID } from 'node:crypto'
import type { WebhookEvent } from '@cairn/core'
import { sql } from 'kysely'
import type { SqlDatabase } from '../dialect/dialect.js'
import { toWebhook, type WebhookRow } from './registry-rows.js'
import type {
  ClaimedWebhookDelivery,
  ClaimWebhookDeliveriesInput,
  EnqueueWebhookDeliveriesInput,
  FinishWebhookAttemptInput,
} from './registry-store.js'

interface ClaimedRow {
  delivery_id: string
  webhook_id: string
  body: string | null
  attempts: number
}

/**
 * The webhook delivery queue in `webhook_deliveries`: rows stay `pending` with a `next_attempt_at` until an
 * attempt settles them, and a process works on a row only while it holds its lease (`claimed_by`,
 * `claimed_until`). PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so replicas never wait on each other;
 * SQLite claims in one IMMEDIATE transaction, which serialises the processes sharing the file.
 */
export class WebhookDeliveryQueue {
  constructor(private readonly db: SqlDatabase) {}

  async listSubscribedEvents(): Promise<WebhookEvent[]> {
    return this.db.read((session) =>
      session.select(sql<WebhookEvent>`SELECT DISTINCT e.entity, e.action FROM webhook_events e
        JOIN webhooks w ON w.webhook_id = e.webhook_id
        WHERE w.deleted_timestamp IS NULL AND w.status = 'ACTIVE'`),
    )
  }

  async enqueue(input: EnqueueWebhookDeliveriesInput): Promise<number> {
    const { entity, action } = input.event
    return this.db.write(async (session) => {
      const webhooks = await session.select(sql<{ webhook_id: string }>`SELECT w.webhook_id FROM webhooks w
        JOIN webhook_events e ON e.webhook_id = w.webhook_id
        WHERE w.deleted_timestamp IS NULL AND w.status = 'ACTIVE' AND e.entity = ${entity} AND e.action = ${action}`)
      for (const { webhook_id } of webhooks) {
        await session.execute(sql`INSERT INTO webhook_deliveries (delivery_id, webhook_id, entity, action, state,
            attempts, created_at, body, next_attempt_at)
          VALUES (${randomUUID()}, ${webhook_id}, ${entity}, ${action}, 'pending', 0, ${input.createdAt},
            ${input.body}, ${input.createdAt})`)
      }
      return webhooks.length
    })
  }

  async claim(input: ClaimWebhookDeliveriesInput): Promise<ClaimedWebhookDelivery[]> {
    const skipLocked = this.db.kind === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``
    return this.db.write(async (session) => {
      const rows = await session.select(sql<ClaimedRow>`UPDATE webhook_deliveries
        SET claimed_by = ${input.owner}, claimed_until = ${input.now + input.leaseMs}, attempts = attempts + 1
        WHERE delivery_id IN (SELECT delivery_id FROM webhook_deliveries
          WHERE state = 'pending' AND next_attempt_at <= ${input.now}
            AND (claimed_until IS NULL OR claimed_until <= ${input.now})
          ORDER BY next_attempt_at LIMIT ${input.limit} ${skipLocked})
        RETURNING delivery_id, webhook_id, body, attempts`)
      if (rows.length === 0) return []
      const webhooks = await session.select(sql<WebhookRow>`SELECT * FROM webhooks
        WHERE webhook_id IN (${sql.join([...new Set(rows.map((row) => row.webhook_id))])})
          AND deleted_timestamp IS NULL AND status = 'ACTIVE'`)
      const byId = new Map(webhooks.map((row) => [row.webhook_id, row]))
      const claimed: ClaimedWebhookDelivery[] = []
      for (const row of rows) {
        const webhook = byId.get(row.webhook_id)
        if (!webhook || row.body === null) {
          await session.execute(sql`UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL,
              claimed_by = NULL, claimed_until = NULL, attempts = attempts - 1, last_attempt_at = ${input.now},
              error_message = ${`Webhook ${row.webhook_id} was deleted or disabled before delivery`}
            WHERE delivery_id = ${row.delivery_id}`)
          continue
        }
        claimed.push({
          deliveryId: row.delivery_id,
          webhook: { ...toWebhook(webhook, []), ...(webhook.secret && { secret: webhook.secret }) },
          body: row.body,
          attempts: Number(row.attempts),
        })
      }
      return claimed
    })
  }

  async finishAttempt(input: FinishWebhookAttemptInput): Promise<void> {
    await this.db.write((session) =>
      session.execute(sql`UPDATE webhook_deliveries SET state = ${input.state},
          response_status = ${input.responseStatus ?? null}, error_message = ${input.errorMessage ?? null},
          last_attempt_at = ${input.lastAttemptAt}, next_attempt_at = ${input.nextAttemptAt ?? null},
          claimed_by = NULL, claimed_until = NULL
        WHERE delivery_id = ${input.deliveryId} AND claimed_by = ${input.owner}`),
    )
  }

  async findNextTime(): Promise<number | undefined> {
    const [row] = await this.db.read((session) =>
      session.select(sql<{ due: number | string | null }>`SELECT MIN(CASE
          WHEN claimed_until IS NOT NULL AND claimed_until > next_attempt_at THEN claimed_until
          ELSE next_attempt_at END) AS due
        FROM webhook_deliveries WHERE state = 'pending'`),
    )
    return row?.due === null || row?.due === undefined ? undefined : Number(row.due)
  }
}
