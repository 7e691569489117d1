import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { REPO_ROOT } from '../../integration/helpers/cairn-process.mjs'

/** Debian's chromium (`apt-get install chromium`), or `CAIRN_CHROMIUM`. */
export const CHROMIUM_PATH = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium'
export const IS_CI = process.env.CI === 'true' || process.env.CI === '1'
/** Without chromium the browser suites skip locally; under CI=true they fail. */
export const SKIP_BROWSER = !existsSync(CHROMIUM_PATH) && !IS_CI

export const UI_DIST = path.join(REPO_ROOT, 'packages', 'ui', 'dist')
export const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots')

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `chromium is missing at ${CHROMIUM_PATH}: install Debian's chromium package (CI=true needs it)`,
    )
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--headless'] })
}

/** Builds the UI with Vite when `packages/ui/dist` has no index.html (npm test builds it in its build stage). */
export function ensureUiBuilt(): void {
  if (existsSync(path.join(UI_DIST, 'index.html'))) return
  execFileSync('npm', ['run', 'build', '--workspace', '@cairn/ui'], { cwd: REPO_ROOT, stdio: 'inherit' })
}
