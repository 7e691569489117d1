import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { errorOf } from '../test-support/error-of.js'
import { parseMlModel } from './mlmodel.js'
import {
  type ModelSignature,
  paramSpecRepr,
  parseSignature,
  schemaRepr,
  signatureToMlModelFields,
} from './signature.js'

const fixture = (name: string) =>
  parseMlModel(readFileSync(new URL(`./__fixtures__/${name}/MLmodel`, import.meta.url), 'utf8'))

function signatureOf(fields: {
  inputs?: string
  outputs?: string
  params?: string
}): ModelSignature | undefined {
  return parseSignature({ flavors: {}, signature: fields })
}

describe('parseSignature', () => {
  it('reads every column type, tensor outputs and params that MLflow writes', () => {
    const signature = parseSignature(fixture('all-types'))!
    expect(signature.inputs).toEqual([
      { type: 'double', name: 'x', required: true },
      { type: 'long', name: 'n', required: true },
      { type: 'string', name: 'text', required: false },
      { type: { type: 'array', items: 'double' }, name: 'values', required: true },
      {
        type: {
          type: 'object',
          properties: [
            { name: 'a', type: 'long', required: true },
            { name: 'b', type: 'string', required: false },
          ],
        },
        name: 'obj',
        required: true,
      },
      { type: { type: 'map', values: 'double' }, name: 'weights', required: false },
    ])
    expect(signature.outputs).toEqual([
      { type: 'tensor', name: 'probabilities', dtype: 'float32', shape: [-1, 3] },
    ])
    expect(signature.params).toEqual([
      { name: 'temperature', type: 'double', default: 0.5, shape: null },
      { name: 'top_k', type: 'long', default: 3, shape: null },
      { name: 'tags', type: 'string', default: ['a', 'b'], shape: [-1] },
      { name: 'flag', type: 'boolean', default: false, shape: null },
    ])
  })

  it('reads the unnamed tensor signature of an ONNX model', () => {
    expect(parseSignature(fixture('onnx-iris'))).toEqual({
      inputs: [{ type: 'tensor', dtype: 'float32', shape: [-1, 4] }],
      outputs: [{ type: 'tensor', dtype: 'float32', shape: [-1, 3] }],
    })
  })

  it('answers undefined for a model without a signature', () => {
    expect(parseSignature({ flavors: {} })).toBeUndefined()
    expect(
      parseSignature({ flavors: {}, signature: { inputs: null, outputs: null, params: null } }),
    ).toBeUndefined()
  })

  it('refuses invalid schema JSON with INVALID_PARAMETER_VALUE', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ inputs: '[{"type": "double"' }, /'inputs' is not valid JSON/],
      [{ inputs: '{"type": "double"}' }, /'inputs' must be a JSON list/],
      [{ inputs: '[{"type": "decimal", "name": "x"}]' }, /unsupported type 'decimal'/],
      [
        {
          inputs:
            '[{"type": "double", "name": "x"}, {"type": "tensor", "name": "t", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]',
        },
        /mixes column and tensor specs/,
      ],
      [{ inputs: '[{"type": "double", "name": "x"}, {"type": "double"}]' }, /mixes named and unnamed inputs/],
      [
        { inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]' },
        /needs 'tensor-spec' with 'dtype' and 'shape'/,
      ],
      [{ params: '[{"name": "k", "type": "long"}]' }, /each param needs 'name', 'type' and 'default'/],
      [
        { params: '[{"name": "k", "type": "binary", "default": null}]' },
        /param 'k' has unsupported type 'binary'/,
      ],
    ]
    for (const [fields, message] of cases) {
      const error = errorOf(() => signatureOf(fields))
      expect(error.code).toBe('INVALID_PARAMETER_VALUE')
      expect(error.message).toMatch(/^Invalid model signature: /)
      expect(error.message).toMatch(message)
    }
  })
})

describe('signatureToMlModelFields', () => {
  it('writes the exact JSON strings MLflow writes', () => {
    for (const name of ['all-types', 'onnx-iris', 'sklearn-iris']) {
      const model = fixture(name)
      expect(signatureToMlModelFields(parseSignature(model)!)).toEqual({
        inputs: model.signature?.inputs ?? null,
        outputs: model.signature?.outputs ?? null,
        params: model.signature?.params ?? null,
      })
    }
  })

  it('writes null for missing parts', () => {
    expect(signatureToMlModelFields({ inputs: [{ type: 'tensor', dtype: 'int64', shape: [-1] }] })).toEqual({
      inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
      outputs: null,
      params: null,
    })
  })

  it('escapes a non-ASCII column name as json.dumps does (ensure_ascii)', () => {
    const fields = signatureToMlModelFields({
      inputs: [{ type: 'double', name: 'température', required: true }],
    })
    expect(fields.inputs).toBe('[{"type": "double", "name": "temp\\u00e9rature", "required": true}]')
    expect(parseSignature({ flavors: {}, signature: fields })?.inputs).toEqual([
      { type: 'double', name: 'température', required: true },
    ])
  })
})

describe('schemaRepr and paramSpecRepr', () => {
  it('print schemas as MLflow does in its messages', () => {
    const signature = signatureOf({
      inputs:
        '[{"type": "double", "name": "x", "required": true}, {"type": "string", "name": "s", "required": false}]',
      params:
        '[{"name": "tags", "default": ["a"], "shape": [-1], "type": "string"}, {"name": "t", "default": 0.5, "shape": null, "type": "double"}]',
    })!
    expect(schemaRepr(signature.inputs!)).toBe("['x': double (required), 's': string (optional)]")
    expect(schemaRepr([{ type: 'tensor', dtype: 'float32', shape: [-1, 4] }])).toBe(
      "[Tensor('float32', (-1, 4))]",
    )
    expect(paramSpecRepr(signature.params![0]!)).toBe("'tags': string (default: ['a']) (shape: (-1,))")
    expect(paramSpecRepr(signature.params![1]!)).toBe("'t': double (default: 0.5)")
  })
})
