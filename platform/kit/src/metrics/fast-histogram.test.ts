import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { FastHistogram } from './fast-histogram.js'

describe('FastHistogram', () => {
  it('is served in the Prometheus text format with cumulative buckets, sum and count per series', async () => {
    const registry = new Registry()
    registry.setDefaultLabels({ service: 's' })
    const h = new FastHistogram({
      name: 'x_seconds',
      help: 'h',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.01, 0.1, 1],
      registers: [registry],
    })
    const series = h.labels('GET', '/a/:id', '200')
    series.observe(0.005)
    series.observe(0.05)
    h.labels('GET', '/a/:id', '200').observe(5)
    h.at('POST 500 /a', ['POST', '/a', '500']).observe(0.2)
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
