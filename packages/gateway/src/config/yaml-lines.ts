import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml'
import { GatewayConfigError } from './config-error.js'

export interface ParsedYaml {
  value: unknown
  /** Line (1-based) of a path such as `endpoints[0].model.provider`, or of its nearest ancestor. */
  lineOf(path: string): number | undefined
}

/** Parses YAML, recording the line of every mapping key and sequence item for error messages. */
export function parseYamlWithLines(text: string, source: string): ParsedYaml {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { lineCounter, prettyErrors: false })
  const firstError = document.errors[0]
  if (firstError) {
    const line = firstError.linePos?.[0]?.line ?? lineCounter.linePos(firstError.pos[0]).line
    throw new GatewayConfigError(`invalid YAML: ${firstError.message.split('\n')[0]}`, line, source)
  }
  const lines = new Map<string, number>()
  const record = (path: string, node: Node | null | undefined, keyOffset?: number) => {
    const offset = keyOffset ?? node?.range?.[0]
    if (offset !== undefined) lines.set(path, lineCounter.linePos(offset).line)
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
        const child = path ? `${path}.${key}` : key
        record(child, pair.value as Node | null, (pair.key as Node | null)?.range?.[0])
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) record(`${path}[${index}]`, item as Node)
    }
  }
  record('', document.contents as Node | null)
  return {
    value: document.toJS(),
    lineOf(path) {
      let current = path
      while (current) {
        const line = lines.get(current)
        if (line !== undefined) return line
        const cut = Math.max(current.lastIndexOf('.'), current.lastIndexOf('['))
        current = cut > 0 ? current.slice(0, cut) : ''
      }
      return lines.get('')
    },
  }
}
