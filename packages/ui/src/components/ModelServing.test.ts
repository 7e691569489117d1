import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  exampleRequestBody,
  invocationsCurl,
  readModelServingInfo,
  serveCommands,
  shellQuote,
} from './ModelServing.js'

/** MLmodel files written by MLflow 3.17 (packages/models/src/format/__fixtures__/make_fixtures.py). */
const fixture = (name: string) =>
  readFileSync(new URL(`../../../models/src/format/__fixtures__/${name}/MLmodel`, import.meta.url), 'utf8')

describe('readModelServingInfo', () => {
  it('reads flavours, a tensor signature and the input example of an mlflow.onnx model', () => {
    const info = readModelServingInfo(fixture('onnx-iris'))
    expect(info.flavors).toEqual(['onnx', 'python_function'])
    expect(info.inputs).toEqual([{ kind: 'tensor', name: undefined, dtype: 'float32', shape: [-1, 4] }])
    expect(info.outputs).toEqual([{ kind: 'tensor', name: undefined, dtype: 'float32', shape: [-1, 3] }])
    expect(info.params).toBeUndefined()
    expect(info.inputExample).toEqual({
      path: 'input_example.json',
      type: 'ndarray',
      servingInputPath: 'serving_input_example.json',
    })
    expect(exampleRequestBody(info.inputs)).toEqual({ inputs: [[0, 0, 0, 0]] })
  })

  it('describes column types, requiredness and params with defaults', () => {
    const info = readModelServingInfo(fixture('all-types'))
    expect(info.flavors).toEqual(['js'])
    expect(
      info.inputs?.map((entry) => (entry.kind === 'column' ? [entry.name, entry.type, entry.required] : [])),
    ).toEqual([
      ['x', 'double', true],
      ['n', 'long', true],
      ['text', 'string', false],
      ['values', 'array<double>', true],
      ['obj', 'object {a: long, b?: string}', true],
      ['weights', 'map<string, double>', false],
    ])
    expect(info.params).toEqual([
      { name: 'temperature', type: 'double', default: 0.5 },
      { name: 'top_k', type: 'long', default: 3 },
      { name: 'tags', type: 'string[]', default: ['a', 'b'] },
      { name: 'flag', type: 'boolean', default: false },
    ])
    expect(exampleRequestBody(info.inputs)).toEqual({
      dataframe_split: {
        columns: ['x', 'n', 'text', 'values', 'obj', 'weights'],
        data: [[0, 0, '', [0], { a: 0, b: '' }, {}]],
      },
    })
  })

  it('reports an unreadable signature part and reads a model without a signature', () => {
    const info = readModelServingInfo(
      "flavors:\n  js: {entry: js/model.mjs}\nsignature:\n  inputs: '[{oops'\n  outputs: null\n",
    )
    expect(info.inputs).toBeUndefined()
    expect(info.problems).toEqual(["The signature's inputs could not be read."])
    const bare = readModelServingInfo('flavors:\n  onnx: {data: model.onnx}\n')
    expect(bare).toEqual({ flavors: ['onnx'], problems: [] })
    expect(exampleRequestBody(bare.inputs)).toBeUndefined()
    expect(() => readModelServingInfo('- just\n- a list\n')).toThrow(/not a YAML mapping/)
  })
})

describe('serving commands', () => {
  it('serves the version and each alias, quoting names the shell would split', () => {
    expect(serveCommands({ name: 'iris', version: '3', aliases: ['champion'] })).toEqual([
      { uri: 'models:/iris/3', command: 'cairn models serve -m models:/iris/3 -p 8080' },
      { uri: 'models:/iris@champion', command: 'cairn models serve -m models:/iris@champion -p 8080' },
    ])
    expect(serveCommands({ name: "bob's model", version: '1', aliases: [], port: 9000 })[0]?.command).toBe(
      `cairn models serve -m 'models:/bob'\\''s model/1' -p 9000`,
    )
    expect(shellQuote('a b')).toBe("'a b'")
  })

  it('builds a curl for /invocations whose body is valid JSON after shell unquoting', () => {
    const body = { dataframe_split: { columns: ["it's"], data: [['']] } }
    const curl = invocationsCurl(body)
    expect(curl.split('\n')[0]).toBe('curl -X POST http://127.0.0.1:8080/invocations \\')
    const quoted = /-d '(.*)'$/.exec(curl)?.[1] ?? ''
    expect(JSON.parse(quoted.replace(/'\\''/g, "'"))).toEqual(body)
  })
})
