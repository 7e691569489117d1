import { describe, expect, it } from 'vitest'
import { buildHash, parseHash, readList, writeList } from './router.js'

describe('hash routes', () => {
  it("parses the links MLflow's client prints", () => {
    expect(parseHash('#/experiments/3/runs/abc').segments).toEqual(['experiments', '3', 'runs', 'abc'])
    expect(parseHash('#/models/my%20model/versions/2').segments).toEqual([
      'models',
      'my model',
      'versions',
      '2',
    ])
    expect(parseHash('').segments).toEqual([])
  })

  it('round-trips view state, lists with commas included', () => {
    const hash = buildHash(['experiments', '1'], {
      filter: "params.a = 'x,y'",
      cols: writeList(['params.a,b', 'metrics.m']),
      empty: '',
    })
    const route = parseHash(hash)
    expect(route.query.get('filter')).toBe("params.a = 'x,y'")
    expect(readList(route.query, 'cols')).toEqual(['params.a,b', 'metrics.m'])
    expect(route.query.has('empty')).toBe(false)
  })
})
