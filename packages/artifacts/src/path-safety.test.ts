import { describe, expect, it } from 'vitest'
import { joinArtifactPath, normalizeArtifactPath, normalizeOptionalArtifactPath } from './path-safety.js'

describe('normalizeArtifactPath', () => {
  it.each([
    ['model/MLmodel', 'model/MLmodel'],
    ['a//b/./c.txt', 'a/b/c.txt'],
    ['dir/', 'dir'],
    ['name with spaces.txt', 'name with spaces.txt'],
    ['a%20b.txt', 'a b.txt'],
    ['.hidden', '.hidden'],
  ])('keeps the safe path %j as %j', (input, expected) => {
    expect(normalizeArtifactPath(input)).toBe(expected)
  })

  it.each([
    '..',
    '../x',
    'a/../../x',
    'a/..',
    '%2e%2e/x',
    '%2E%2E%2Fx',
    '%252e%252e%252fx',
    '%25252e%25252e/x',
    '.%2e/x',
    'a\\b',
    '..\\x',
    '%5c..%5cx',
    '/etc/passwd',
    '%2fetc/passwd',
    '//server/share',
    'C:/Windows',
    'c:\\windows',
    'file:///etc/passwd',
    'file:/etc/passwd',
    's3://bucket/key',
    'http://169.254.169.254/latest/meta-data',
    'x\u0000y',
    'x%00y',
    'x\ny',
    'a#b',
    '%23',
    '.. /x',
    '...',
    '%',
  ])('refuses %j with INVALID_PARAMETER_VALUE "Invalid path"', (input) => {
    expect(() => normalizeArtifactPath(input)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: 'Invalid path' }),
    )
  })

  it('treats an absent path as the root', () => {
    expect(normalizeOptionalArtifactPath(undefined)).toBe('')
    expect(normalizeOptionalArtifactPath('')).toBe('')
    expect(normalizeOptionalArtifactPath('./')).toBe('')
  })
})

describe('joinArtifactPath', () => {
  it('joins a trusted base and a checked relative path', () => {
    expect(joinArtifactPath('1/abc/artifacts', 'model/MLmodel')).toBe('1/abc/artifacts/model/MLmodel')
    expect(joinArtifactPath('1/abc/artifacts/', undefined)).toBe('1/abc/artifacts')
    expect(joinArtifactPath('', 'x')).toBe('x')
  })

  it('refuses a relative path that climbs out of the base', () => {
    expect(() => joinArtifactPath('1/abc/artifacts', '../../2/other/artifacts/secret')).toThrow(
      'Invalid path',
    )
  })
})
