import { createClient } from './lib/http.mjs'
const c = createClient('http://127.0.0.1:5125', { connections: 1 })
for (const path of ['/api/2.0/mlflow/registered-models/search?max_results=100', '/api/2.0/mlflow/model-versions/search?max_results=100']) {
  for (let i = 0; i < 30; i++) await c.get(path)
  const times = []
  for (let i = 0; i < 100; i++) times.push((await c.get(path)).ms)
  times.sort((a, b) => a - b)
  console.log(path, 'p50', times[50].toFixed(2), 'bytes', (await c.get(path)).bytes)
}
c.close()
