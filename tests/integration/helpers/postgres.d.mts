export declare const DEFAULT_POSTGRES_URL: string
export declare function postgresUrl(): string
export declare function requestedStores(): Array<'sqlite' | 'postgres'>
export declare function postgresProblem(url?: string): Promise<string | undefined>

export interface TestDatabase {
  name: string
  url: string
  drop(): Promise<void>
}

export declare function createDatabase(baseUrl?: string, prefix?: string): Promise<TestDatabase>
