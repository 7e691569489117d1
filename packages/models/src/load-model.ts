import { stat } from 'node:fs/promises'
import path from 'node:path'
import { MlflowError } from '@cairn/core'
import { jsFlavor } from './flavors/js/index.js'
import { onnxFlavor } from './flavors/onnx/index.js'
import { enforceParams, enforceSignature } from './format/enforce-signature.js'
import { readMlModel } from './format/mlmodel.js'
import { parseSignature } from './format/signature.js'
import type { Flavor, LoadedModel, ModelInput, ModelParams } from './model.js'

/** The flavours Cairn can predict with, in the order they are preferred when a model has several. */
export const SUPPORTED_FLAVORS: readonly Flavor[] = [onnxFlavor, jsFlavor]

/**
 * Loads a local model directory (the folder holding `MLmodel`): reads MLmodel, picks the first flavour Cairn
 * supports (`onnx`, then `js`), and checks every input and its params against the model's signature before
 * the flavour predicts.
 *
 * @example
 * const model = await loadModelFromDirectory('./downloaded/model')
 * const output = await model.predict({ kind: 'dataframe', columns: ['x'], rows: [[1], [2]] })
 */
export async function loadModelFromDirectory(directory: string): Promise<LoadedModel> {
  const root = path.resolve(directory)
  const file = path.join(root, 'MLmodel')
  if (!(await stat(file).catch(() => undefined))?.isFile()) {
    throw new MlflowError(
      'RESOURCE_DOES_NOT_EXIST',
      `No MLmodel file in '${root}': a model directory holds an MLmodel file describing its flavours`,
    )
  }
  const metadata = await readMlModel(root)
  const found = Object.keys(metadata.flavors ?? {})
  const flavor = SUPPORTED_FLAVORS.find((candidate) => found.includes(candidate.name))
  if (!flavor) {
    throw new MlflowError(
      'INVALID_PARAMETER_VALUE',
      `The model in '${root}' has no flavour Cairn can load (found: ${found.join(', ') || 'none'}; supported: ${SUPPORTED_FLAVORS.map((candidate) => candidate.name).join(', ')})`,
    )
  }
  // An invalid signature must refuse the model before the flavour opens sessions or runs the module's load.
  const signature = parseSignature(metadata)
  const loaded = await flavor.load({ directory: root, metadata })
  return {
    metadata: loaded.metadata,
    flavor: loaded.flavor,
    rowBatchable: loaded.rowBatchable,
    ...(loaded.tensorRowBatchable === undefined ? {} : { tensorRowBatchable: loaded.tensorRowBatchable }),
    async predict(input: ModelInput, params?: ModelParams) {
      const checked = enforceSignature(input, signature)
      const checkedParams = enforceParams(params, signature)
      return loaded.predict(checked, checkedParams)
    },
    close: () => loaded.close(),
  }
}
