import type { ViewType } from '@cairn/core'
import { useEffect, useState } from 'react'
import { useClient } from './client.js'
import { indexRun, type RunRecord } from './run-table.js'

const FIRST_PAGE = 500
const NEXT_PAGE = 5000

export interface RunsState {
  records: RunRecord[]
  /** More pages are on their way. */
  loading: boolean
  error?: unknown
}

/**
 * Every run of the experiments matching `filter`, newest first: the first 500 arrive at once so
 * the table is usable, the rest stream in by pages of 5000.
 */
export function useRuns(
  experimentIds: readonly string[],
  filter: string,
  viewType: ViewType,
  version = 0,
): RunsState {
  const client = useClient()
  const [state, setState] = useState<RunsState>({ records: [], loading: true })
  const key = experimentIds.join(',')
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for experimentIds
  useEffect(() => {
    let cancelled = false
    setState({ records: [], loading: true })
    void (async () => {
      const records: RunRecord[] = []
      let pageToken: string | undefined
      let first = true
      try {
        do {
          const page = await client.searchRuns({
            experimentIds: [...experimentIds],
            filter: filter || undefined,
            runViewType: viewType,
            maxResults: first ? FIRST_PAGE : NEXT_PAGE,
            orderBy: ['attributes.start_time DESC'],
            pageToken,
          })
          if (cancelled) return
          for (const run of page.runs) records.push(indexRun(run))
          pageToken = page.nextPageToken
          first = false
          setState({ records: [...records], loading: pageToken !== undefined })
        } while (pageToken)
      } catch (error) {
        if (!cancelled) setState({ records, loading: false, error })
      }
    })()
    return () => {
      cancelled = true
    }
  }, [client, key, filter, viewType, version])
  return state
}
