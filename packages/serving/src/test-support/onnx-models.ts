import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The ONNX flavour's test fixtures (small skl2onnx models and scikit-learn's answers). */
export const ONNX_FIXTURES = fileURLToPath(
  new URL('../../../models/src/flavors/onnx/__fixtures__', import.meta.url),
)

/** scikit-learn's answers for the iris logistic regression fixture. */
export interface IrisExpectations {
  rows: number[][]
  labels: number[]
  probabilities: number[][]
}

/** scikit-learn's logistic regression on iris, converted with skl2onnx (no ZipMap), in an MLflow model folder. */
export async function writeIrisModel(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true })
  await copyFile(path.join(ONNX_FIXTURES, 'iris-logreg.onnx'), path.join(directory, 'model.onnx'))
  const inputs = JSON.stringify([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 4] } }])
  await writeFile(
    path.join(directory, 'MLmodel'),
    [
      'flavors:',
      '  onnx:',
      '    data: model.onnx',
      '    onnx_version: 1.23.2',
      '  python_function:',
      '    data: model.onnx',
      '    loader_module: mlflow.onnx',
      'mlflow_version: 3.17.2',
      'model_uuid: 6c1f2d0e6a3b4a7d9e0f1a2b3c4d5e6f',
      'signature:',
      `  inputs: '${inputs}'`,
      '  outputs: null',
      "utc_time_created: '2026-11-27 08:00:00.000000'",
      '',
    ].join('\n'),
  )
}

/** What scikit-learn answers for the rows of the iris fixture. */
export async function readIrisExpectations(): Promise<IrisExpectations> {
  const expected = JSON.parse(await readFile(path.join(ONNX_FIXTURES, 'expected.json'), 'utf8'))
  return expected.iris as IrisExpectations
}
