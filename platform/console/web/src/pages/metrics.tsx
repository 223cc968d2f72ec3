import { useState } from 'react'
import { fmtMs, fmtNum, usePoll } from '../api'
import { Chart, Empty, Page } from '../components'

interface Point {
  t: number
  rps: number
  errorsPerS: number
  p99Ms?: number
  eventLoopLagMs: number
  rssMb: number
  heapMb: number
  cpuPct: number
  outboxBacklog?: number
  deadLetters?: number
}
interface Item {
  instance: string
  service: string
  history: Point[]
  routes: Array<{ route: string; rps: number; errorsPerS: number; p99Ms?: number }>
}

export function MetricsPage() {
  const [service, setService] = useState('')
  const { data } = usePoll<{ items: Item[] }>(`/api/metrics${service ? `?service=${service}` : ''}`, 2_000)
  return (
    <Page
      title="Metrics"
      actions={
        <input
          placeholder="service"
          value={service}
          onChange={(e) => setService(e.target.value)}
          aria-label="service"
        />
      }
    >
      {!data ? (
        <Empty>Loading…</Empty>
      ) : data.items.length === 0 ? (
        <Empty>No instance scraped yet.</Empty>
      ) : (
        data.items.map((item) => (
          <div key={item.instance} className="instance-metrics">
            <h2>{item.instance}</h2>
            <div className="charts">
              <Chart
                title="requests / s (5xx red)"
                points={item.history as never}
                unit="/s"
                series={[
                  { key: 'rps', color: '#4f8cff', label: 'rps' },
                  { key: 'errorsPerS', color: '#ff6b6b', label: '5xx' },
                ]}
              />
              <Chart
                title="p99 latency"
                points={item.history as never}
                unit="ms"
                series={[{ key: 'p99Ms', color: '#f5a524', label: 'p99' }]}
              />
              <Chart
                title="event-loop lag p99"
                points={item.history as never}
                unit="ms"
                series={[{ key: 'eventLoopLagMs', color: '#c86bfa', label: 'lag' }]}
              />
              <Chart
                title="memory (RSS, heap)"
                points={item.history as never}
                unit="MB"
                series={[
                  { key: 'rssMb', color: '#2bb673', label: 'rss' },
                  { key: 'heapMb', color: '#1fc8db', label: 'heap' },
                ]}
              />
              <Chart
                title="CPU"
                points={item.history as never}
                unit="%"
                series={[{ key: 'cpuPct', color: '#ff9f43', label: 'cpu' }]}
              />
              {item.history.some((p) => p.outboxBacklog !== undefined) && (
                <Chart
                  title="outbox backlog, dead letters"
                  points={item.history as never}
                  unit=""
                  series={[
                    { key: 'outboxBacklog', color: '#a3be8c', label: 'outbox' },
                    { key: 'deadLetters', color: '#ff6b6b', label: 'dead' },
                  ]}
                />
              )}
            </div>
            {item.routes.length > 0 && (
              <table className="grid compact">
                <thead>
                  <tr>
                    <th>route</th>
                    <th>req/s</th>
                    <th>5xx/s</th>
                    <th>p99</th>
                  </tr>
                </thead>
                <tbody>
                  {item.routes.map((r) => (
                    <tr key={r.route}>
                      <td className="mono">{r.route}</td>
                      <td>{fmtNum(r.rps, 2)}</td>
                      <td>{fmtNum(r.errorsPerS, 2)}</td>
                      <td>{fmtMs(r.p99Ms)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        ))
      )}
    </Page>
  )
}
