// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { useState } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { TagEditor } from './TagEditor.js'

afterEach(cleanup)

/** A TagEditor over local state, refusing one key the way a server would. */
function Harness() {
  const [tags, setTags] = useState([
    { key: 'team', value: 'vision' },
    { key: 'mlflow.user', value: 'ada' },
  ])
  return (
    <TagEditor
      tags={tags}
      hide={(key) => key.startsWith('mlflow.')}
      onSet={async (key, value) => {
        if (key === 'bad key') throw new Error('Invalid tag name')
        setTags((current) => [...current.filter((tag) => tag.key !== key), { key, value }])
      }}
      onDelete={async (key) => setTags((current) => current.filter((tag) => tag.key !== key))}
    />
  )
}

describe('TagEditor', () => {
  it('adds, edits and deletes tags, hides system tags, and shows refusals', async () => {
    render(<Harness />)
    expect(screen.queryByText('mlflow.user')).toBeNull()
    fireEvent.change(screen.getByRole('textbox', { name: 'New tag key' }), { target: { value: 'stage' } })
    fireEvent.change(screen.getByRole('textbox', { name: 'New tag value' }), { target: { value: 'dev' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add tag' })))
    expect(screen.getByText('dev')).toBeTruthy()

    fireEvent.click(screen.getByRole('button', { name: 'Edit tag team' }))
    fireEvent.change(screen.getByRole('textbox', { name: 'Value of team' }), { target: { value: 'nlp' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })))
    expect(screen.getByText('nlp')).toBeTruthy()

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Delete tag stage' })))
    expect(screen.queryByText('dev')).toBeNull()

    fireEvent.change(screen.getByRole('textbox', { name: 'New tag key' }), { target: { value: 'bad key' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add tag' })))
    expect(screen.getByRole('alert').textContent).toBe('Invalid tag name')
  })
})
