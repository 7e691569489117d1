// The project's Python virtualenv (.venv, made by .ci/run) for tests that run the real Python clients.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const VENV_PYTHON = path.join(
  fileURLToPath(new URL('../../../', import.meta.url)),
  '.venv',
  'bin',
  'python',
)

/** Whether the virtualenv's Python imports `modules` (e.g. `'mlflow.onnx, onnxruntime'`). */
export async function pythonHas(modules) {
  if (!existsSync(VENV_PYTHON)) return false
  try {
    await run(VENV_PYTHON, ['-c', `import ${modules}`], { timeout: 60_000 })
    return true
  } catch {
    return false
  }
}
