import { migrateToLatest } from '@cairn/store'
import { Command } from 'commander'

/** `cairn db upgrade <url>`: brings a tracking database schema to the latest version. */
export function dbCommand(): Command {
  const db = new Command('db').description('Manage the tracking database.')
  db.command('upgrade')
    .description('Upgrade the schema of a tracking database to the latest version.')
    .argument('<url>', 'database URI, e.g. sqlite:///mlflow.db or postgresql://user@host/db')
    .action(async (url: string) => {
      const applied = await migrateToLatest(url)
      for (const migration of applied) process.stdout.write(`Applied migration ${migration}\n`)
      process.stdout.write(`Database schema of ${redact(url)} is up to date.\n`)
    })
  return db
}

/** Hides a password in a database URI. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}
