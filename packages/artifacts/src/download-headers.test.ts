import { describe, expect, it } from 'vitest'
import {
  artifactDownloadHeaders,
  contentDispositionAttachment,
  guessArtifactMimeType,
} from './download-headers.js'

describe('guessArtifactMimeType', () => {
  it.each([
    ['metrics.json', 'text/plain'],
    ['model/MLmodel', 'text/plain'],
    ['MLproject', 'text/plain'],
    ['conda.yaml', 'text/plain'],
    ['train.py', 'text/plain'],
    ['plot.png', 'image/png'],
    ['photo.JPG', 'image/jpeg'],
    ['report.html', 'text/html'],
    ['model.pkl', 'application/octet-stream'],
    ['noextension', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(guessArtifactMimeType(name)).toBe(type)
  })
})

describe('contentDispositionAttachment', () => {
  it('is always an attachment, quoting names that are not tokens', () => {
    expect(contentDispositionAttachment('dir/model.pkl')).toBe('attachment; filename=model.pkl')
    expect(contentDispositionAttachment('my file.txt')).toBe('attachment; filename="my file.txt"')
    expect(contentDispositionAttachment('a"b.txt')).toBe('attachment; filename="a\\"b.txt"')
  })

  it('adds an RFC 5987 name for non-ASCII names', () => {
    expect(contentDispositionAttachment('résumé.txt')).toBe(
      "attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
    )
  })

  it('never lets HTML render inline', () => {
    const headers = artifactDownloadHeaders('x/index.html')
    expect(headers['Content-Disposition']).toMatch(/^attachment;/)
    expect(headers['X-Content-Type-Options']).toBe('nosniff')
    expect(headers['Content-Security-Policy']).toContain('sandbox')
  })
})
