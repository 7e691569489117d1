/**
 * The parsed form of a search filter. MLflow's grammar is a conjunction of comparisons;
 * Cairn also accepts `OR` and parentheses, so the tree has `and` and `or` nodes.
 */

/** What a comparison refers to. Aliases (`metrics.`, `params.`, `attr.`, `run.` …) are normalised to these. */
export type SearchEntity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset'

export type Comparator =
  | '='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'LIKE'
  | 'ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL'

/** One `<entity>.<key> <comparator> <value>` condition. */
export interface Comparison {
  kind: 'comparison'
  entity: SearchEntity
  /** The key, unquoted. Attribute keys are canonical (`created` → `start_time`, `run name` → `run_name`). */
  key: string
  comparator: Comparator
  /** A number for numeric comparisons, a string, a list for IN/NOT IN, null for IS [NOT] NULL. */
  value: string | number | string[] | null
}

export interface Conjunction {
  kind: 'and'
  operands: FilterExpression[]
}

export interface Disjunction {
  kind: 'or'
  operands: FilterExpression[]
}

export type FilterExpression = Comparison | Conjunction | Disjunction

/** One `order_by` item. */
export interface OrderBy {
  entity: Exclude<SearchEntity, 'dataset'>
  key: string
  ascending: boolean
}
