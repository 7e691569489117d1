import { readFileSync } from 'node:fs'
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MlflowError } from '@cairn/core'
import { afterAll, describe, expect, it } from 'vitest'
import { readMlModel } from '../../format/mlmodel.js'
import type { LoadedModel, ModelInput, ModelOutput } from '../../model.js'
import { onnxFlavor } from './onnx-flavor.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__')

interface Expected {
  iris: { rows: number[][]; labels: number[]; probabilities: number[][]; classes: number[] }
  diabetes: { rows: number[][]; predictions: number[] }
  counts: { rows: number[][]; predictions: number[] }
  mixed: { petal: number[]; colour: string[]; labels: string[]; probabilities: number[][]; classes: string[] }
  mlflow_mlp: {
    rows: number[][]
    labels: number[]
    probabilities: number[][]
    pyfunc_labels: number[]
    pyfunc_probabilities: Record<string, number>[]
  }
}

const EXPECTED = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected
const opened: LoadedModel[] = []

afterAll(async () => {
  await Promise.all(opened.map((model) => model.close()))
})

async function loadFixture(file: string, config: Record<string, unknown> = {}): Promise<LoadedModel> {
  const model = await onnxFlavor.load({
    directory: FIXTURES,
    metadata: { flavors: { onnx: { data: file, ...config } } },
  })
  opened.push(model)
  return model
}

function frame(columns: readonly string[], rows: readonly (readonly unknown[])[]): ModelInput {
  return { kind: 'dataframe', columns, rows }
}

const IRIS_COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']

function column(output: ModelOutput, name: string): unknown[] {
  if (output.kind !== 'dataframe') throw new Error(`expected a dataframe, got ${output.kind}`)
  const index = output.columns.indexOf(name)
  return output.rows.map((row) => row[index])
}

function expectClose(actual: unknown, expected: unknown): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true)
    expect((actual as unknown[]).length).toBe(expected.length)
    expected.forEach((item, index) => {
      expectClose((actual as unknown[])[index], item)
    })
  } else if (typeof expected === 'number') {
    expect(typeof actual).toBe('number')
    expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(
      1e-5 * Math.max(1, Math.abs(expected)),
    )
  } else if (typeof expected === 'object' && expected !== null) {
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected).sort())
    for (const [key, value] of Object.entries(expected))
      expectClose((actual as Record<string, unknown>)[key], value)
  } else {
    expect(actual).toEqual(expected)
  }
}

async function expectBadRequest(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(MlflowError)
  expect((error as MlflowError).code).toBe('BAD_REQUEST')
  expect((error as MlflowError).message).toMatch(message)
}

describe('onnx flavour predictions', () => {
  it('answers a dataframe with one column per output, matching scikit-learn', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    const output = await model.predict(frame(IRIS_COLUMNS, EXPECTED.iris.rows))
    expect(output.kind).toBe('dataframe')
    expect(output.kind === 'dataframe' && output.columns).toEqual(['label', 'probabilities'])
    expect(column(output, 'label')).toEqual(EXPECTED.iris.labels)
    expectClose(column(output, 'probabilities'), EXPECTED.iris.probabilities)
    expect(model.rowBatchable).toBe(true)
  })

  it('rebuilds ZipMap probabilities as one {label: probability} map per row', async () => {
    const model = await loadFixture('iris-logreg-zipmap.onnx')
    const output = await model.predict(frame(IRIS_COLUMNS, EXPECTED.iris.rows))
    expect(output.kind === 'dataframe' && output.columns).toEqual(['output_label', 'output_probability'])
    expect(column(output, 'output_label')).toEqual(EXPECTED.iris.labels)
    const maps = EXPECTED.iris.probabilities.map((row) =>
      Object.fromEntries(EXPECTED.iris.classes.map((label, index) => [String(label), row[index]])),
    )
    expectClose(column(output, 'output_probability'), maps)
    expect(model.rowBatchable).toBe(true)
  })

  it('answers a tensor input with {output: nested list}', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    const output = await model.predict({ kind: 'tensor', value: EXPECTED.iris.rows })
    expect(output.kind).toBe('tensors')
    if (output.kind !== 'tensors') return
    expect(output.values.label).toEqual(EXPECTED.iris.labels)
    expectClose(output.values.probabilities, EXPECTED.iris.probabilities)
  })

  it('predicts a regression whose output is [N, 1] as one scalar per row', async () => {
    const model = await loadFixture('diabetes-linreg.onnx')
    const columns = EXPECTED.diabetes.rows[0]!.map((_, index) => `x${index}`)
    const output = await model.predict(frame(columns, EXPECTED.diabetes.rows))
    expectClose(column(output, 'variable'), EXPECTED.diabetes.predictions)
    const tensors = await model.predict({ kind: 'tensors', values: { X: EXPECTED.diabetes.rows } })
    expectClose(
      tensors.kind === 'tensors' && tensors.values.variable,
      EXPECTED.diabetes.predictions.map((value) => [value]),
    )
  })

  it('feeds float64 and int64 inputs', async () => {
    const double = await loadFixture('diabetes-linreg-double.onnx')
    const columns = EXPECTED.diabetes.rows[0]!.map((_, index) => `x${index}`)
    expectClose(
      column(await double.predict(frame(columns, EXPECTED.diabetes.rows)), 'variable'),
      EXPECTED.diabetes.predictions,
    )

    const counts = await loadFixture('counts-linreg-int64.onnx')
    const output = await counts.predict(frame(['a', 'b', 'c'], EXPECTED.counts.rows))
    expectClose(column(output, 'variable'), EXPECTED.counts.predictions)
    await expectBadRequest(
      counts.predict(frame(['a', 'b', 'c'], [[1, 2.5, 3]])),
      /Input 'counts' expects int64 values, got the value 2.5/,
    )
  })

  it('feeds a model with two inputs one dataframe column each, with string labels from ZipMap', async () => {
    const model = await loadFixture('mixed-two-inputs.onnx')
    const rows = EXPECTED.mixed.petal.map((petal, index) => [EXPECTED.mixed.colour[index], petal, 'ignored'])
    const output = await model.predict(frame(['colour', 'petal', 'extra'], rows))
    expect(column(output, 'output_label')).toEqual(EXPECTED.mixed.labels)
    const maps = EXPECTED.mixed.probabilities.map((row) =>
      Object.fromEntries(EXPECTED.mixed.classes.map((label, index) => [label, row[index]])),
    )
    expectClose(column(output, 'output_probability'), maps)
    expect(model.rowBatchable).toBe(true)

    const tensors = await model.predict({
      kind: 'tensors',
      values: {
        petal: EXPECTED.mixed.petal.map((value) => [value]),
        colour: EXPECTED.mixed.colour.map((value) => [value]),
      },
    })
    expect(tensors.kind === 'tensors' && tensors.values.output_label).toEqual(EXPECTED.mixed.labels)
    expectClose(tensors.kind === 'tensors' && tensors.values.output_probability, maps)
  })

  it('gives concatenated answers for concatenated rows (batching)', async () => {
    for (const file of ['iris-logreg.onnx', 'iris-logreg-zipmap.onnx']) {
      const model = await loadFixture(file)
      const parts = [
        EXPECTED.iris.rows.slice(0, 1),
        EXPECTED.iris.rows.slice(1, 6),
        EXPECTED.iris.rows.slice(6),
      ]
      const separate = await Promise.all(parts.map((rows) => model.predict(frame(IRIS_COLUMNS, rows))))
      const together = await model.predict(frame(IRIS_COLUMNS, parts.flat()))
      // equal up to float rounding: ONNX Runtime's vectorised kernels round differently for other batch sizes
      expectClose(
        together.kind === 'dataframe' && together.rows,
        separate.flatMap((output) => (output.kind === 'dataframe' ? output.rows : [])),
      )
      expect(column(together, together.kind === 'dataframe' ? together.columns[0]! : '')).toEqual(
        EXPECTED.iris.labels,
      )
    }
  })

  it('keeps a single row of a multi-value output as a list rather than spreading it over rows', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    const output = await model.predict(frame(IRIS_COLUMNS, [EXPECTED.iris.rows[0]!]))
    expect(output.kind === 'dataframe' && output.rows.length).toBe(1)
    expectClose(column(output, 'probabilities'), [EXPECTED.iris.probabilities[0]])
  })

  it('stacks a one-column frame whose cells are arrays', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    const output = await model.predict(
      frame(
        ['features'],
        EXPECTED.iris.rows.map((row) => [row]),
      ),
    )
    expect(column(output, 'label')).toEqual(EXPECTED.iris.labels)
  })

  it('accepts numbers given as strings and a single column for an [N, 1] input', async () => {
    const model = await loadFixture('mixed-two-inputs.onnx')
    const output = await model.predict(
      frame(['petal', 'colour'], [[String(EXPECTED.mixed.petal[0]), EXPECTED.mixed.colour[0]]]),
    )
    expect(column(output, 'output_label')).toEqual([EXPECTED.mixed.labels[0]])
  })
})

describe('onnx flavour errors', () => {
  it('names the input on a wrong number of columns', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    await expectBadRequest(
      model.predict(frame(['a', 'b', 'c'], [[1, 2, 3]])),
      /Input 'X' expects shape \[-1, 4\], but the request gives shape \[1, 3\]/,
    )
  })

  it('names the input on a wrong value type', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    await expectBadRequest(
      model.predict(frame(IRIS_COLUMNS, [[1, 2, 'three', 4]])),
      /Input 'X' expects float32 values, got the string "three"/,
    )
    await expectBadRequest(model.predict(frame(IRIS_COLUMNS, [[1, 2, true, 4]])), /Input 'X' expects float32/)
  })

  it('refuses more rows than a fixed batch dimension and is not row-batchable', async () => {
    const model = await loadFixture('iris-logreg-fixed-batch.onnx')
    expect(model.rowBatchable).toBe(false)
    const output = await model.predict(frame(IRIS_COLUMNS, EXPECTED.iris.rows.slice(0, 1)))
    expect(column(output, 'label')).toEqual(EXPECTED.iris.labels.slice(0, 1))
    await expectBadRequest(
      model.predict(frame(IRIS_COLUMNS, EXPECTED.iris.rows.slice(0, 2))),
      /Input 'X' expects shape \[1, 4\], but the request gives shape \[2, 4\]/,
    )
  })

  it('names a missing input of a multi-input model', async () => {
    const model = await loadFixture('mixed-two-inputs.onnx')
    await expectBadRequest(model.predict(frame(['petal'], [[0.5]])), /missing inputs \['colour'\]/)
    await expectBadRequest(
      model.predict({ kind: 'tensors', values: { petal: [[0.5]] } }),
      /missing inputs \['colour'\]/,
    )
    await expectBadRequest(
      model.predict({ kind: 'tensors', values: { petal: [[0.5]], colour: [['red']], other: [1] } }),
      /Unknown inputs \["other"\]/,
    )
    await expectBadRequest(model.predict({ kind: 'tensor', value: [[0.5]] }), /model has 2 inputs/)
  })

  it('refuses ragged arrays and rows of the wrong length', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    await expectBadRequest(
      model.predict({
        kind: 'tensor',
        value: [
          [1, 2, 3, 4],
          [1, 2],
        ],
      }),
      /not a rectangular/,
    )
    await expectBadRequest(
      model.predict(
        frame(IRIS_COLUMNS, [
          [1, 2, 3, 4],
          [1, 2],
        ]),
      ),
      /a row has 2 values/,
    )
  })

  it('keeps serving after bad input', async () => {
    const model = await loadFixture('iris-logreg-zipmap.onnx')
    await expectBadRequest(model.predict({ kind: 'tensor', value: [[[1, 2, 3, 4]]] }), /expects shape/)
    const output = await model.predict(frame(IRIS_COLUMNS, EXPECTED.iris.rows))
    expect(column(output, 'output_label')).toEqual(EXPECTED.iris.labels)
  })

  it('reports a missing model file and a data path outside the directory at load', async () => {
    await expect(loadFixture('absent.onnx')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(loadFixture('../onnx-flavor.ts')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    await expect(loadFixture('expected.json')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
  })

  it('lets predictions already running finish before close releases the session', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    const rows = Array.from(
      { length: 20_000 },
      (_, index) => EXPECTED.iris.rows[index % EXPECTED.iris.rows.length]!,
    )
    const running = model.predict({ kind: 'tensor', value: rows })
    await model.close()
    const output = await running
    expect(output.kind === 'tensors' && (output.values.label as unknown[]).length).toBe(rows.length)
  })

  it('refuses a model file that a symlink takes out of the model directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cairn-onnx-link-'))
    try {
      await symlink(join(FIXTURES, 'iris-logreg.onnx'), join(directory, 'model.onnx'))
      const metadata = { flavors: { onnx: { data: 'model.onnx' } } }
      await expect(onnxFlavor.load({ directory, metadata })).rejects.toMatchObject({
        code: 'INVALID_PARAMETER_VALUE',
        message: expect.stringContaining('outside the model directory'),
      })
      await rm(join(directory, 'model.onnx'))
      await copyFile(join(FIXTURES, 'iris-logreg.onnx'), join(directory, 'model.onnx'))
      const model = await onnxFlavor.load({ directory, metadata })
      await model.close()
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })

  it('refuses predictions after close', async () => {
    const model = await loadFixture('iris-logreg.onnx')
    await model.close()
    await expect(model.predict(frame(IRIS_COLUMNS, EXPECTED.iris.rows))).rejects.toMatchObject({
      code: 'TEMPORARILY_UNAVAILABLE',
    })
  })
})

describe('a model directory written by mlflow.onnx.save_model', () => {
  const directory = join(FIXTURES, 'mlflow-iris-mlp')

  it('loads with its external weights and answers what mlflow pyfunc answers', async () => {
    const metadata = await readMlModel(directory)
    const model = await onnxFlavor.load({ directory, metadata })
    opened.push(model)
    expect(model.flavor).toBe('onnx')
    const tensors = await model.predict({ kind: 'tensor', value: EXPECTED.mlflow_mlp.rows })
    expect(tensors.kind === 'tensors' && tensors.values.output_label).toEqual(
      EXPECTED.mlflow_mlp.pyfunc_labels,
    )
    expectClose(
      tensors.kind === 'tensors' && tensors.values.output_probability,
      EXPECTED.mlflow_mlp.pyfunc_probabilities,
    )

    const output = await model.predict(frame(IRIS_COLUMNS, EXPECTED.mlflow_mlp.rows))
    expect(column(output, 'output_label')).toEqual(EXPECTED.mlflow_mlp.labels)
    const maps = EXPECTED.mlflow_mlp.probabilities.map((row) =>
      Object.fromEntries(row.map((value, index) => [String(index), value])),
    )
    expectClose(column(output, 'output_probability'), maps)
  })
})
