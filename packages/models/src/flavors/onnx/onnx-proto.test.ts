import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { floatToHalf } from './onnx-input.js'
import { appendFloatGraphOutputs, ONNX_ELEMENT_TYPES, readOnnxGraph } from './onnx-proto.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__')

function varint(value: bigint): number[] {
  let rest = BigInt.asUintN(64, value)
  const bytes: number[] = []
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80)
    rest >>= 7n
  }
  bytes.push(Number(rest))
  return bytes
}

function delimited(field: number, content: readonly number[]): number[] {
  return [...varint(BigInt(field * 8 + 2)), ...varint(BigInt(content.length)), ...content]
}

function text(field: number, value: string): number[] {
  return delimited(field, [...new TextEncoder().encode(value)])
}

describe('readOnnxGraph', () => {
  it('reads the nodes, inputs and outputs of a skl2onnx classifier', async () => {
    const graph = readOnnxGraph(new Uint8Array(await readFile(join(FIXTURES, 'iris-logreg-zipmap.onnx'))))
    expect(graph.inputs).toEqual([
      { name: 'X', type: { kind: 'tensor', elementType: ONNX_ELEMENT_TYPES.FLOAT, shape: [undefined, 4] } },
    ])
    expect(graph.outputs.map((output) => [output.name, output.type?.kind])).toEqual([
      ['output_label', 'tensor'],
      ['output_probability', 'sequence'],
    ])
    const zipMap = graph.nodes.find((node) => node.opType === 'ZipMap')
    expect(zipMap).toMatchObject({ domain: 'ai.onnx.ml', outputs: ['output_probability'] })
    expect(zipMap?.attributes.find((attribute) => attribute.name === 'classlabels_int64s')?.ints).toEqual([
      0n,
      1n,
      2n,
    ])
  })

  it('reads packed and unpacked int64 attributes, negative ones included, and string attributes', () => {
    const packed = delimited(8, [...varint(-1n), ...varint(7n)])
    const node = [
      ...text(1, 'probabilities'),
      ...text(2, 'mapped'),
      ...text(4, 'ZipMap'),
      ...delimited(5, [...text(1, 'classlabels_int64s'), ...packed, 8 * 8, ...varint(-300n)]),
      ...delimited(5, [...text(1, 'classlabels_strings'), ...text(9, 'yes'), ...text(9, 'no')]),
      ...text(7, 'ai.onnx.ml'),
    ]
    const model = new Uint8Array([8, 7, ...delimited(7, delimited(1, node))])
    const [parsed] = readOnnxGraph(model).nodes
    expect(parsed?.attributes).toEqual([
      { name: 'classlabels_int64s', ints: [-1n, 7n, -300n], strings: [] },
      { name: 'classlabels_strings', ints: [], strings: ['yes', 'no'] },
    ])
  })

  it('throws on truncated bytes', () => {
    expect(() => readOnnxGraph(new Uint8Array([0x3a, 0x10, 0x0a]))).toThrow(/truncated/)
  })
})

describe('appendFloatGraphOutputs', () => {
  it('adds an intermediate tensor as a graph output that ONNX Runtime returns', async () => {
    const bytes = new Uint8Array(await readFile(join(FIXTURES, 'iris-logreg-zipmap.onnx')))
    const source = readOnnxGraph(bytes).nodes.find((node) => node.opType === 'ZipMap')!.inputs[0]!
    const patched = appendFloatGraphOutputs(bytes, [source])
    expect(readOnnxGraph(patched).outputs.map((output) => output.name)).toEqual([
      'output_label',
      'output_probability',
      source,
    ])
    const session = await ort.InferenceSession.create(patched)
    const results = await session.run(
      { X: new ort.Tensor('float32', new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), [2, 4]) },
      ['output_label', source],
    )
    await session.release()
    expect(results[source]?.dims).toEqual([2, 3])
    const probabilities = results[source]?.data as Float32Array
    expect(probabilities[0]! + probabilities[1]! + probabilities[2]!).toBeCloseTo(1, 5)
  })
})

describe('floatToHalf', () => {
  it('rounds to IEEE half precision', () => {
    expect(floatToHalf(1)).toBe(0x3c00)
    expect(floatToHalf(-2)).toBe(0xc000)
    expect(floatToHalf(65504)).toBe(0x7bff)
    expect(floatToHalf(1e6)).toBe(0x7c00)
    expect(floatToHalf(2 ** -24)).toBe(0x0001)
    expect(floatToHalf(1e-9)).toBe(0)
    expect(floatToHalf(Number.NEGATIVE_INFINITY)).toBe(0xfc00)
    expect(floatToHalf(Number.NaN) & 0x7e00).toBe(0x7e00)
  })
})
