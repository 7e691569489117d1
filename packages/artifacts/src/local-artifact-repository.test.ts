import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LocalArtifactRepository } from './local-artifact-repository.js'

let folder: string
let root: string
let outside: string

beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'cairn-local-repo-'))
  root = path.join(folder, 'root')
  outside = path.join(folder, 'outside')
  await mkdir(root)
  await mkdir(outside)
  await writeFile(path.join(outside, 'secret.txt'), 'top secret')
})
afterEach(async () => {
  await rm(folder, { recursive: true, force: true })
})

describe('LocalArtifactRepository symlink confinement', () => {
  it('refuses to read through a link that points outside the root', async () => {
    await symlink(outside, path.join(root, 'escape'))
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'))
    const repository = new LocalArtifactRepository(root)
    await expect(repository.read('escape/secret.txt')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    await expect(repository.read('secret-link.txt')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    await expect(repository.list('escape')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    expect((await repository.list('')).files).toEqual([])
  })

  it('refuses to write through a link that points outside the root, leaving the target untouched', async () => {
    await symlink(outside, path.join(root, 'escape'))
    const repository = new LocalArtifactRepository(root)
    await expect(repository.write('escape/new.txt', Buffer.from('x'))).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    await expect(repository.write('escape/deeper/new.txt', Buffer.from('x'))).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    expect((await readdir(outside)).sort()).toEqual(['secret.txt'])
  })

  it('deletes a link without touching what it points to', async () => {
    await symlink(outside, path.join(root, 'escape'))
    const repository = new LocalArtifactRepository(root)
    await expect(repository.delete('escape')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('top secret')
  })

  it('follows links that stay inside the root', async () => {
    const repository = new LocalArtifactRepository(root)
    await repository.write('real/file.txt', Buffer.from('inside'))
    await symlink(path.join(root, 'real'), path.join(root, 'alias'))
    expect(await text(await repository.read('alias/file.txt'))).toBe('inside')
  })

  it('keeps a child repository inside the outer root', async () => {
    const repository = new LocalArtifactRepository(root)
    await symlink(outside, path.join(root, 'run'))
    await expect(repository.child('run').read('secret.txt')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
  })

  it('leaves no partial file behind when the body fails midway', async () => {
    const repository = new LocalArtifactRepository(root)
    const { Readable } = await import('node:stream')
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024))
        this.destroy(new Error('client went away'))
      },
    })
    await expect(repository.write('broken.bin', failing)).rejects.toThrow('client went away')
    expect(await readdir(root)).toEqual([])
  })
})
