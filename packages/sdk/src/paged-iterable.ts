/** One page of a paged search. */
export interface Page<T> {
  /** The items of this page. */
  items: T[]
  /** Token of the next page; absent on the last page. */
  nextPageToken?: string
}

/**
 * An async iterable over every item of a paged search, fetching pages lazily.
 *
 * @example
 * for await (const run of client.searchRunsAll({ experimentIds: ['0'] })) console.log(run.info.runId)
 * const all = await client.searchRunsAll({ experimentIds: ['0'] }).toArray()
 */
export class PagedIterable<T> implements AsyncIterable<T> {
  /** @param fetchPage answers the page of a token (`undefined` for the first page). */
  constructor(private readonly fetchPage: (pageToken: string | undefined) => Promise<Page<T>>) {}

  /** Iterates over whole pages. */
  async *pages(): AsyncGenerator<T[]> {
    let token: string | undefined
    do {
      const page = await this.fetchPage(token)
      if (page.items.length > 0) yield page.items
      token = page.nextPageToken
    } while (token)
  }

  /** Iterates over every item of every page. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page
  }

  /** Fetches every page and answers all items. */
  async toArray(): Promise<T[]> {
    const items: T[] = []
    for await (const page of this.pages()) items.push(...page)
    return items
  }
}
