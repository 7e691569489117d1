import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { pythonHas, VENV_PYTHON } from '../../../../../tests/integration/helpers/python.mjs'
import { readMlModel } from '../../format/mlmodel.js'
import { parseSignature } from '../../format/signature.js'
import { onnxFlavor } from './onnx-flavor.js'
import { saveOnnxModel } from './save-onnx-model.js'

const run = promisify(execFile)
const here = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(here, '__fixtures__')
const PYTHON = VENV_PYTHON
const IS_CI = process.env.CI === 'true' || process.env.CI === '1'

const HAS_MLFLOW_ONNX = await pythonHas('mlflow.onnx, onnxruntime')

interface Expected {
  iris: { rows: number[][]; labels: number[]; probabilities: number[][] }
  mixed: { petal: number[]; colour: string[]; labels: string[]; probabilities: number[][]; classes: string[] }
}

const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected
const scratch = await mkdtemp(join(tmpdir(), 'cairn-onnx-save-'))
let counter = 0

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

function newDirectory(): string {
  counter += 1
  return join(scratch, `model-${counter}`)
}

async function fixture(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(FIXTURES, name)))
}

function expectClose(actual: unknown, expected: unknown): void {
  if (Array.isArray(expected)) {
    expect((actual as unknown[]).length).toBe(expected.length)
    expected.forEach((item, index) => {
      expectClose((actual as unknown[])[index], item)
    })
  } else if (typeof expected === 'number') {
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(expected)),
    )
  } else {
    expect(actual).toEqual(expected)
  }
}

describe('saveOnnxModel', () => {
  it("writes MLflow's layout with a tensor signature derived from the graph", async () => {
    const directory = newDirectory()
    const written = await saveOnnxModel({
      directory,
      model: await fixture('iris-logreg.onnx'),
      inputExample: {
        kind: 'dataframe',
        columns: ['a', 'b', 'c', 'd'],
        rows: EXPECTED.iris.rows.slice(0, 2),
      },
      metadata: { source: 'test' },
    })
    expect((await readdir(directory)).sort()).toEqual([
      'MLmodel',
      'conda.yaml',
      'input_example.json',
      'model.onnx',
      'python_env.yaml',
      'requirements.txt',
      'serving_input_example.json',
    ])
    const mlModel = await readMlModel(directory)
    expect(mlModel).toEqual(written)
    expect(mlModel.flavors.onnx).toMatchObject({ data: 'model.onnx', providers: ['CPUExecutionProvider'] })
    expect(mlModel.flavors.python_function).toMatchObject({
      loader_module: 'mlflow.onnx',
      data: 'model.onnx',
      env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
    })
    expect(mlModel.metadata).toEqual({ source: 'test' })
    expect(mlModel.model_uuid).toMatch(/^[0-9a-f]{32}$/)
    expect(parseSignature(mlModel)).toEqual({
      inputs: [{ type: 'tensor', dtype: 'float32', shape: [-1, 4] }],
      outputs: [
        { type: 'tensor', name: 'label', dtype: 'int64', shape: [-1] },
        { type: 'tensor', name: 'probabilities', dtype: 'float32', shape: [-1, 3] },
      ],
    })
    expect(mlModel.saved_input_example_info).toMatchObject({ type: 'dataframe', pandas_orient: 'split' })
    const serving = JSON.parse(await readFile(join(directory, 'serving_input_example.json'), 'utf8'))
    expect(serving.dataframe_split.columns).toEqual(['a', 'b', 'c', 'd'])

    const model = await onnxFlavor.load({ directory, metadata: mlModel })
    const output = await model.predict({ kind: 'tensor', value: EXPECTED.iris.rows })
    await model.close()
    expect(output.kind === 'tensors' && output.values.label).toEqual(EXPECTED.iris.labels)
  })

  it('names the inputs of a multi-input model and leaves out the outputs of a ZipMap model', async () => {
    const directory = newDirectory()
    const written = await saveOnnxModel({ directory, model: await fixture('mixed-two-inputs.onnx') })
    expect(parseSignature(written)).toEqual({
      inputs: [
        { type: 'tensor', name: 'petal', dtype: 'float32', shape: [-1, 1] },
        { type: 'tensor', name: 'colour', dtype: 'str', shape: [-1, 1] },
      ],
    })
  })

  it('saves a plain JSON array example as an ndarray example', async () => {
    const directory = newDirectory()
    const rows = EXPECTED.iris.rows.slice(0, 2)
    const written = await saveOnnxModel({
      directory,
      model: await fixture('iris-logreg.onnx'),
      inputExample: rows,
    })
    expect(written.saved_input_example_info).toEqual({
      artifact_path: 'input_example.json',
      serving_input_path: 'serving_input_example.json',
      type: 'ndarray',
    })
    expect(JSON.parse(await readFile(join(directory, 'input_example.json'), 'utf8'))).toEqual(rows)
    expect(JSON.parse(await readFile(join(directory, 'serving_input_example.json'), 'utf8'))).toEqual({
      inputs: rows,
    })
  })

  it("applies the caller's mlModelFields last, over the generated model_uuid", async () => {
    const directory = newDirectory()
    const fields = {
      model_uuid: '0123456789abcdef0123456789abcdef',
      model_id: 'm-0123456789abcdef0123456789abcdef',
      run_id: 'r1',
      artifact_path: 'model',
    }
    const written = await saveOnnxModel({
      directory,
      model: await fixture('iris-logreg.onnx'),
      mlModelFields: fields,
    })
    expect(written).toMatchObject(fields)
    expect(await readMlModel(directory)).toMatchObject(fields)
  })

  it('refuses bytes that are not an ONNX model and an existing directory', async () => {
    await expect(
      saveOnnxModel({ directory: newDirectory(), model: new Uint8Array([0xff, 0xff, 0xff]) }),
    ).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    const directory = newDirectory()
    await saveOnnxModel({ directory, model: await fixture('iris-logreg.onnx') })
    await expect(
      saveOnnxModel({ directory, model: await fixture('iris-logreg.onnx') }),
    ).rejects.toMatchObject({
      code: 'RESOURCE_ALREADY_EXISTS',
    })
  })

  it.skipIf(!HAS_MLFLOW_ONNX && !IS_CI)(
    'writes directories that Python mlflow.pyfunc loads and predicts with',
    async () => {
      const script = join(FIXTURES, 'pyfunc_predict.py')
      const iris = newDirectory()
      await saveOnnxModel({ directory: iris, model: await fixture('iris-logreg-zipmap.onnx') })
      const irisRun = await run(PYTHON, [script, iris, JSON.stringify({ ndarray: EXPECTED.iris.rows })], {
        timeout: 120_000,
      })
      const irisOutput = JSON.parse(irisRun.stdout) as Record<string, unknown>
      expect(irisOutput.output_label).toEqual(EXPECTED.iris.labels)
      expectClose(
        (irisOutput.output_probability as Record<string, number>[]).map((row) => [
          row['0'],
          row['1'],
          row['2'],
        ]),
        EXPECTED.iris.probabilities,
      )

      const mixed = newDirectory()
      await saveOnnxModel({ directory: mixed, model: await fixture('mixed-two-inputs.onnx') })
      const request = {
        columns: { petal: EXPECTED.mixed.petal, colour: EXPECTED.mixed.colour },
        dtypes: { petal: 'float32', colour: 'str' },
      }
      const mixedRun = await run(PYTHON, [script, mixed, JSON.stringify(request)], { timeout: 120_000 })
      const mixedOutput = JSON.parse(mixedRun.stdout) as Record<string, unknown>
      expect(mixedOutput.output_label).toEqual(EXPECTED.mixed.labels)
    },
    180_000,
  )
})
