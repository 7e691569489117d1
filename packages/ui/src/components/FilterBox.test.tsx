// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { FilterBox } from './FilterBox.js'

afterEach(cleanup)

function renderBox(applied: string[], serverError?: string) {
  return render(
    <FilterBox
      value=""
      identifiers={['metrics.acc', 'metrics.loss', 'params.lr', 'tags.team']}
      onApply={(filter) => applied.push(filter)}
      serverError={serverError}
    />,
  )
}

describe('FilterBox', () => {
  it('suggests keys for the word at the cursor and takes one with Tab', () => {
    renderBox([])
    const input = screen.getByRole('combobox', { name: 'Filter runs' }) as HTMLInputElement
    fireEvent.change(input, { target: { value: 'metrics.', selectionStart: 8 } })
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual([
      'metrics.acc',
      'metrics.loss',
    ])
    fireEvent.keyDown(input, { key: 'ArrowDown' })
    expect(screen.getByRole('option', { selected: true }).textContent).toBe('metrics.loss')
    fireEvent.keyDown(input, { key: 'Tab' })
    expect(input.value).toBe('metrics.loss ')
    expect(screen.queryByRole('listbox')).toBeNull()
  })

  it('shows the grammar error while typing and does not apply a broken filter', () => {
    const applied: string[] = []
    renderBox(applied)
    const input = screen.getByRole('combobox', { name: 'Filter runs' })
    fireEvent.change(input, { target: { value: 'metrics.acc >', selectionStart: 13 } })
    expect(screen.getByRole('alert').textContent).toMatch(/Invalid/)
    expect(input.getAttribute('aria-invalid')).toBe('true')
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(applied).toEqual([])
    fireEvent.change(input, { target: { value: 'metrics.acc > 0.5', selectionStart: 17 } })
    expect(screen.queryByRole('alert')).toBeNull()
    fireEvent.keyDown(input, { key: 'Escape' })
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(applied).toEqual(['metrics.acc > 0.5'])
  })

  it("shows the server's error for the applied filter", () => {
    renderBox([], 'INVALID_PARAMETER_VALUE: bad key')
    expect(screen.getByRole('alert').textContent).toBe('INVALID_PARAMETER_VALUE: bad key')
  })
})
