import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  PREVIEW_CSP,
  parseDelimited,
  previewKind,
  safeBlobType,
  sandboxedHtml,
  summarizeMlModel,
  svgDataUrl,
} from './artifact-preview.js'

describe('artifact previews', () => {
  it('picks a preview by file name', () => {
    expect(previewKind('model/MLmodel')).toBe('mlmodel')
    expect(previewKind('plots/roc.PNG')).toBe('image')
    expect(previewKind('report.html')).toBe('html')
    expect(previewKind('data.tsv')).toBe('table')
    expect(previewKind('conda.yaml')).toBe('yaml')
    expect(previewKind('train.log')).toBe('text')
    expect(previewKind('weights.bin')).toBe('none')
  })

  it('parses CSV with quotes, doubled quotes, CRLF and line breaks inside fields', () => {
    expect(parseDelimited('a,b\r\n"x, y","say ""hi"""\n"multi\nline",2', ',')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', '2'],
    ])
    expect(parseDelimited('a\tb\n1\t2\n', '\t')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ])
    expect(parseDelimited('1\n2\n3\n', ',', 2)).toHaveLength(2)
    expect(formatBytes(1536)).toBe('1.5 KB')
  })

  it('summarises an MLmodel file', () => {
    const text = [
      'artifact_path: model',
      'flavors:',
      '  python_function:',
      '    env:',
      '      conda: conda.yaml',
      '    loader_module: mlflow.sklearn',
      '  sklearn:',
      '    sklearn_version: 1.5.0',
      "model_uuid: 'abc123'",
      'utc_time_created: 2026-11-27 06:00:00.000000',
    ].join('\n')
    expect(summarizeMlModel(text)).toEqual({
      flavors: ['python_function', 'sklearn'],
      modelUuid: 'abc123',
      created: '2026-11-27 06:00:00.000000',
    })
    expect(summarizeMlModel('not: yaml at all').flavors).toEqual([])
  })

  it('types preview blobs from the file name so a blob: URL never renders markup in our origin', () => {
    expect(safeBlobType('plots/roc.PNG')).toBe('image/png')
    expect(safeBlobType('a.jpeg')).toBe('image/jpeg')
    expect(safeBlobType('diagram.svg')).toBe('application/octet-stream')
    expect(safeBlobType('report.html')).toBe('application/octet-stream')
    expect(safeBlobType('model/MLmodel')).toBe('application/octet-stream')
    expect(svgDataUrl('<svg onload="x()"/>')).toBe(
      'data:image/svg+xml;charset=utf-8,%3Csvg%20onload%3D%22x()%22%2F%3E',
    )
  })

  it('puts a no-network policy in front of HTML previews', () => {
    const html = sandboxedHtml('<script>fetch("/api")</script>')
    expect(html.startsWith('<meta http-equiv="Content-Security-Policy"')).toBe(true)
    expect(html.endsWith('<script>fetch("/api")</script>')).toBe(true)
    expect(PREVIEW_CSP).toContain("connect-src 'none'")
    expect(PREVIEW_CSP).toContain("form-action 'none'")
    expect(PREVIEW_CSP).not.toContain('"')
  })
})
