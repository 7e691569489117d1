// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { App } from '../App.js'
import { type RealServer, renderWithClient, startRealServer } from '../test-support/real-server.js'

/** Polls with real timers until `check` holds (the page refetches after a URL change). */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await act(() => new Promise((resolve) => setTimeout(resolve, 25)))
  }
}

let server: RealServer
beforeAll(async () => {
  server = await startRealServer()
})
afterAll(() => server?.close())
afterEach(cleanup)

describe('experiments page on a real server', () => {
  it('creates, renames, tags, deletes and restores experiments', async () => {
    window.location.hash = '#/'
    renderWithClient(server.client, <App />)
    await screen.findByRole('link', { name: 'Default' })
    fireEvent.change(screen.getByRole('textbox', { name: 'New experiment name' }), {
      target: { value: 'ui-exp' },
    })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Create' })))
    await screen.findByRole('link', { name: 'ui-exp' })

    fireEvent.click(screen.getByRole('button', { name: 'Rename ui-exp' }))
    fireEvent.change(screen.getByRole('textbox', { name: 'New name for ui-exp' }), {
      target: { value: 'ui-exp-2' },
    })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })))
    await screen.findByRole('link', { name: 'ui-exp-2' })
    const experiment = await server.client.getExperimentByName('ui-exp-2')

    fireEvent.change(screen.getByRole('searchbox', { name: 'Search experiments' }), {
      target: { value: 'EXP-2' },
    })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Search' })))
    await until(() => screen.queryByRole('link', { name: 'Default' }) === null)
    expect(screen.getByRole('link', { name: 'ui-exp-2' })).toBeTruthy()

    fireEvent.click(screen.getByRole('button', { name: 'Tags of ui-exp-2' }))
    fireEvent.change(screen.getByRole('textbox', { name: 'New tag key' }), { target: { value: 'owner' } })
    fireEvent.change(screen.getByRole('textbox', { name: 'New tag value' }), { target: { value: 'ada' } })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Add tag' })))
    await waitFor(async () =>
      expect((await server.client.getExperiment(experiment.experimentId)).tags).toContainEqual({
        key: 'owner',
        value: 'ada',
      }),
    )

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Delete ui-exp-2' })))
    await waitFor(() => expect(screen.queryByRole('link', { name: 'ui-exp-2' })).toBeNull())
    expect((await server.client.getExperiment(experiment.experimentId)).lifecycleStage).toBe('deleted')
    await act(async () => fireEvent.click(screen.getByRole('checkbox', { name: 'Deleted' })))
    await until(() => screen.queryByRole('button', { name: 'Restore ui-exp-2' }) !== null)
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Restore ui-exp-2' })))
    await waitFor(async () =>
      expect((await server.client.getExperiment(experiment.experimentId)).lifecycleStage).toBe('active'),
    )
  })

  it('shows the server error for a taken name', async () => {
    window.location.hash = '#/'
    renderWithClient(server.client, <App />)
    await screen.findByRole('link', { name: 'Default' })
    fireEvent.change(screen.getByRole('textbox', { name: 'New experiment name' }), {
      target: { value: 'Default' },
    })
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Create' })))
    expect((await screen.findByRole('alert')).textContent).toMatch(/RESOURCE_ALREADY_EXISTS/)
  })
})
