export declare const REPO_ROOT: string
export declare const CLI_BIN: string

export interface StartCairnOptions {
  /** `sqlite:////abs/file.db` or `postgresql://…`. */
  backendStoreUri: string
  /** Defaults to a free port. */
  port?: number
  /** Working directory of the server (defaults to a new temporary one). */
  cwd?: string
  env?: Record<string, string>
  extraArgs?: string[]
  readyTimeoutMs?: number
}

export interface CairnProcess {
  url: string
  port: number
  pid: number
  workDir: string
  logFile: string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  logTail(lines?: number): string
  /** SIGKILL to the server's process group. */
  kill(): Promise<void>
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export declare function freePort(): Promise<number>
export declare function sqliteUri(file: string): string
export declare function tempDir(prefix?: string): string
export declare function assertCliBuilt(): void
export declare function startCairn(options: StartCairnOptions): Promise<CairnProcess>
export declare function postMlflow(
  baseUrl: string,
  route: string,
  body: Record<string, unknown>,
): Promise<{ status: number; text: string; body: Record<string, unknown> }>
