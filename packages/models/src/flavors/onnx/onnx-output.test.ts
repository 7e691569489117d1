import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { predictionsToJson } from '../../format/predictions.js'
import { createOutput } from './onnx-output.js'

describe('createOutput', () => {
  it("keeps a ZipMap class label or an output named '__proto__' as data", () => {
    const results: Record<string, ort.Tensor> = {
      probabilities: new ort.Tensor('float32', new Float32Array([0.25, 0.75]), [1, 2]),
    }
    Object.defineProperty(results, '__proto__', {
      value: new ort.Tensor('int64', new BigInt64Array([1n]), [1]),
      enumerable: true,
    })
    const output = createOutput({
      results,
      specs: [
        { name: '__proto__', kind: 'tensor' },
        { name: 'output_probability', kind: 'zipMap', source: 'probabilities', labels: ['__proto__', 'b'] },
      ],
      rowCount: undefined,
    })
    expect(JSON.stringify(predictionsToJson(output))).toBe(
      '{"__proto__":[1],"output_probability":[{"__proto__":0.25,"b":0.75}]}',
    )
    const frame = createOutput({
      results,
      specs: [
        { name: 'output_probability', kind: 'zipMap', source: 'probabilities', labels: ['__proto__', 'b'] },
      ],
      rowCount: 1,
    })
    expect(JSON.stringify(predictionsToJson(frame))).toBe(
      '[{"output_probability":{"__proto__":0.25,"b":0.75}}]',
    )
  })
})
