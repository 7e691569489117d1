/**
 * A small reader for the parts of ONNX's `ModelProto` the flavour needs: the graph's nodes, inputs and outputs,
 * with their tensor types. Field numbers are those of `onnx/onnx.proto`; unknown fields are skipped, so large
 * initializers are never copied.
 */

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LENGTH_DELIMITED = 2
const WIRE_FIXED32 = 5

/** ONNX `TensorProto.DataType` values. */
export const ONNX_ELEMENT_TYPES = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const

export interface OnnxAttribute {
  readonly name: string
  readonly ints: readonly bigint[]
  readonly strings: readonly string[]
}

export interface OnnxNode {
  readonly opType: string
  readonly domain: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly attributes: readonly OnnxAttribute[]
}

/** A dimension: a size, a symbolic name, or `undefined` when the model leaves it unknown. */
export type OnnxDimension = number | string | undefined

export type OnnxType =
  | {
      readonly kind: 'tensor'
      readonly elementType: number
      readonly shape: readonly OnnxDimension[] | undefined
    }
  | { readonly kind: 'sequence' | 'map' | 'other' }

export interface OnnxValueInfo {
  readonly name: string
  readonly type: OnnxType | undefined
}

export interface OnnxGraph {
  readonly nodes: readonly OnnxNode[]
  /** The graph inputs that are not initializers (what a caller feeds). */
  readonly inputs: readonly OnnxValueInfo[]
  readonly outputs: readonly OnnxValueInfo[]
}

class ProtoReader {
  private position: number

  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.position = start
  }

  get done(): boolean {
    return this.position >= this.end
  }

  tag(): { field: number; wire: number } {
    const key = this.varint()
    return { field: Math.floor(key / 8), wire: key % 8 }
  }

  varint(): number {
    let result = 0
    let scale = 1
    for (;;) {
      const byte = this.byte()
      result += (byte & 0x7f) * scale
      if (byte < 0x80) return result
      scale *= 128
      if (scale > 2 ** 63) throw new Error('malformed varint')
    }
  }

  varint64(): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = this.byte()
      result |= BigInt(byte & 0x7f) << shift
      if (byte < 0x80) return BigInt.asIntN(64, result)
      shift += 7n
      if (shift > 63n) throw new Error('malformed varint')
    }
  }

  /** The bounds of a length-delimited field's content; the reader moves past it. */
  delimited(): { start: number; end: number } {
    const length = this.varint()
    const start = this.position
    const end = start + length
    if (end > this.end) throw new Error('truncated field')
    this.position = end
    return { start, end }
  }

  message(): ProtoReader {
    const { start, end } = this.delimited()
    return new ProtoReader(this.bytes, start, end)
  }

  string(): string {
    const { start, end } = this.delimited()
    return TEXT_DECODER.decode(this.bytes.subarray(start, end))
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint64()
    else if (wire === WIRE_FIXED64) this.advance(8)
    else if (wire === WIRE_LENGTH_DELIMITED) this.delimited()
    else if (wire === WIRE_FIXED32) this.advance(4)
    else throw new Error(`unsupported wire type ${wire}`)
  }

  private advance(count: number): void {
    if (this.position + count > this.end) throw new Error('truncated field')
    this.position += count
  }

  private byte(): number {
    if (this.position >= this.end) throw new Error('truncated varint')
    return this.bytes[this.position++]!
  }
}

const TEXT_DECODER = new TextDecoder()
const TEXT_ENCODER = new TextEncoder()

function readAttribute(reader: ProtoReader): OnnxAttribute {
  let name = ''
  const ints: bigint[] = []
  const strings: string[] = []
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field === 1 && wire === WIRE_LENGTH_DELIMITED) name = reader.string()
    else if (field === 8 && wire === WIRE_VARINT) ints.push(reader.varint64())
    else if (field === 8 && wire === WIRE_LENGTH_DELIMITED) {
      const packed = reader.message()
      while (!packed.done) ints.push(packed.varint64())
    } else if (field === 9 && wire === WIRE_LENGTH_DELIMITED) strings.push(reader.string())
    else reader.skip(wire)
  }
  return { name, ints, strings }
}

function readNode(reader: ProtoReader): OnnxNode {
  const inputs: string[] = []
  const outputs: string[] = []
  const attributes: OnnxAttribute[] = []
  let opType = ''
  let domain = ''
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (wire !== WIRE_LENGTH_DELIMITED) reader.skip(wire)
    else if (field === 1) inputs.push(reader.string())
    else if (field === 2) outputs.push(reader.string())
    else if (field === 4) opType = reader.string()
    else if (field === 5) attributes.push(readAttribute(reader.message()))
    else if (field === 7) domain = reader.string()
    else reader.skip(wire)
  }
  return { opType, domain, inputs, outputs, attributes }
}

function readDimension(reader: ProtoReader): OnnxDimension {
  let dimension: OnnxDimension
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field === 1 && wire === WIRE_VARINT) dimension = Number(reader.varint64())
    else if (field === 2 && wire === WIRE_LENGTH_DELIMITED) dimension = reader.string()
    else reader.skip(wire)
  }
  return dimension
}

function readTensorType(reader: ProtoReader): OnnxType {
  let elementType = 0
  let shape: OnnxDimension[] | undefined
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field === 1 && wire === WIRE_VARINT) elementType = reader.varint()
    else if (field === 2 && wire === WIRE_LENGTH_DELIMITED) {
      shape = []
      const shapeReader = reader.message()
      while (!shapeReader.done) {
        const dimensionTag = shapeReader.tag()
        if (dimensionTag.field === 1 && dimensionTag.wire === WIRE_LENGTH_DELIMITED) {
          shape.push(readDimension(shapeReader.message()))
        } else shapeReader.skip(dimensionTag.wire)
      }
    } else reader.skip(wire)
  }
  return { kind: 'tensor', elementType, shape }
}

function readType(reader: ProtoReader): OnnxType {
  let type: OnnxType = { kind: 'other' }
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (wire !== WIRE_LENGTH_DELIMITED) reader.skip(wire)
    else if (field === 1) type = readTensorType(reader.message())
    else if (field === 4) {
      reader.skip(wire)
      type = { kind: 'sequence' }
    } else if (field === 5) {
      reader.skip(wire)
      type = { kind: 'map' }
    } else reader.skip(wire)
  }
  return type
}

function readValueInfo(reader: ProtoReader): OnnxValueInfo {
  let name = ''
  let type: OnnxType | undefined
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field === 1 && wire === WIRE_LENGTH_DELIMITED) name = reader.string()
    else if (field === 2 && wire === WIRE_LENGTH_DELIMITED) type = readType(reader.message())
    else reader.skip(wire)
  }
  return { name, type }
}

function readTensorName(reader: ProtoReader): string {
  let name = ''
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field === 8 && wire === WIRE_LENGTH_DELIMITED) name = reader.string()
    else reader.skip(wire)
  }
  return name
}

/**
 * Reads the main graph of a serialized ONNX `ModelProto`. Several `graph` fields (protobuf's merge of a repeated
 * embedded message) are read as one graph.
 */
export function readOnnxGraph(model: Uint8Array): OnnxGraph {
  const nodes: OnnxNode[] = []
  const inputs: OnnxValueInfo[] = []
  const outputs: OnnxValueInfo[] = []
  const initializers = new Set<string>()
  const reader = new ProtoReader(model)
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field !== 7 || wire !== WIRE_LENGTH_DELIMITED) {
      reader.skip(wire)
      continue
    }
    const graph = reader.message()
    while (!graph.done) {
      const graphTag = graph.tag()
      if (graphTag.wire !== WIRE_LENGTH_DELIMITED) graph.skip(graphTag.wire)
      else if (graphTag.field === 1) nodes.push(readNode(graph.message()))
      else if (graphTag.field === 5) initializers.add(readTensorName(graph.message()))
      else if (graphTag.field === 11) inputs.push(readValueInfo(graph.message()))
      else if (graphTag.field === 12) outputs.push(readValueInfo(graph.message()))
      else graph.skip(graphTag.wire)
    }
  }
  return { nodes, inputs: inputs.filter((input) => !initializers.has(input.name)), outputs }
}

function encodeVarint(value: number): number[] {
  const bytes: number[] = []
  let rest = value
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  bytes.push(rest)
  return bytes
}

function encodeDelimited(field: number, content: readonly number[] | Uint8Array): number[] {
  return [...encodeVarint(field * 8 + WIRE_LENGTH_DELIMITED), ...encodeVarint(content.length), ...content]
}

/**
 * Adds graph outputs for intermediate tensors of element type FLOAT, by appending a second `graph` field that
 * protobuf merges into the first (its repeated `output` field is concatenated). The model bytes are not parsed again.
 */
export function appendFloatGraphOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  const graph: number[] = []
  for (const name of names) {
    const tensorType = [...encodeVarint(1 * 8 + WIRE_VARINT), ...encodeVarint(ONNX_ELEMENT_TYPES.FLOAT)]
    const valueInfo = [
      ...encodeDelimited(1, TEXT_ENCODER.encode(name)),
      ...encodeDelimited(2, encodeDelimited(1, tensorType)),
    ]
    graph.push(...encodeDelimited(12, valueInfo))
  }
  const suffix = encodeDelimited(7, graph)
  const result = new Uint8Array(model.length + suffix.length)
  result.set(model, 0)
  result.set(suffix, model.length)
  return result
}
