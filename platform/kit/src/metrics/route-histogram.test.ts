import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { RouteHistogram } from './route-histogram.js'

describe('RouteHistogram', () => {
  it('is served in the Prometheus text format with cumulative buckets, sum and count per series', async () => {
    const registry = new Registry()
    registry.setDefaultLabels({ service: 's' })
    const h = new RouteHistogram({
      name: 'x_seconds',
      help: 'h',
      buckets: [0.01, 0.1, 1],
      registers: [registry],
    })
    h.observe('GET', '/a/:id', 200, 0.005)
    h.observe('GET', '/a/:id', 200, 0.05)
    h.observe('GET', '/a/:id', 200, 5)
    h.observe('POST', '/a', 500, 0.2)
    const text = await registry.metrics()
    expect(text).toContain('# TYPE x_seconds histogram')
    expect(text).toContain(
      'x_seconds_bucket{method="GET",route="/a/:id",status="200",le="0.01",service="s"} 1',
    )
    expect(text).toContain(
      'x_seconds_bucket{method="GET",route="/a/:id",status="200",le="0.1",service="s"} 2',
    )
    expect(text).toContain('x_seconds_bucket{method="GET",route="/a/:id",status="200",le="1",service="s"} 2')
    expect(text).toContain(
      'x_seconds_bucket{method="GET",route="/a/:id",status="200",le="+Inf",service="s"} 3',
    )
    expect(text).toContain('x_seconds_count{method="GET",route="/a/:id",status="200",service="s"} 3')
    expect(text).toContain('x_seconds_sum{method="GET",route="/a/:id",status="200",service="s"} 5.055')
    expect(text).toContain('x_seconds_count{method="POST",route="/a",status="500",service="s"} 1')
  })
})
