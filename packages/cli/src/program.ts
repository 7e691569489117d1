import { createRequire } from 'node:module'
import { MlflowError } from '@cairn/core'
import { Command, CommanderError } from 'commander'
import { artifactsCommand } from './commands/artifacts-command.js'
import { dbCommand } from './commands/db-command.js'
import { experimentsCommand } from './commands/experiments-command.js'
import { gatewayCommand } from './commands/gateway-command.js'
import { gcCommand } from './commands/gc-command.js'
import { modelsCommand } from './commands/models-command.js'
import { runsCommand } from './commands/runs-command.js'
import { serverCommand } from './commands/server-command.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** The `cairn` command with all its subcommands. */
export function createProgram(): Command {
  const program = new Command('cairn')
    .description('Cairn: an MLflow-compatible tracking server and its command-line tools.')
    .version(version, '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
  for (const command of [
    serverCommand(),
    dbCommand(),
    experimentsCommand(),
    runsCommand(),
    modelsCommand(),
    artifactsCommand(),
    gcCommand(),
    gatewayCommand(),
  ]) {
    program.addCommand(command)
  }
  exitOverrideAll(program)
  return program
}

function exitOverrideAll(command: Command): void {
  command.exitOverride()
  for (const child of command.commands) exitOverrideAll(child)
}

/**
 * Runs the CLI and answers its exit code: 0 on success, 1 when a command failed (the MLflow error
 * message is printed, without a stack trace), 2 for usage errors.
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = createProgram()
  try {
    await program.parseAsync(argv)
    return 0
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message or the help text already.
      return error.exitCode === 0 ? 0 : 2
    }
    if (error instanceof MlflowError) {
      process.stderr.write(`Error: ${error.message} (${error.code})\n`)
      return 1
    }
    process.stderr.write(
      `Error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    )
    return 1
  }
}
