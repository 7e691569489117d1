import { describe, expect, it } from 'vitest'
import { formatBytes, parseDelimited, previewKind } from './artifact-preview.js'

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
})
