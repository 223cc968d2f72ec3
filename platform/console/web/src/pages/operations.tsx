import { useState } from 'react'
import { fmtTime, postJson, usePoll } from '../api'
import { Badge, Empty, Page } from '../components'

const BREAKER = ['closed', 'open', 'half-open']

export function BreakersPage() {
  const { data } = usePoll<{
    items: Array<{ instance: string; service: string; dependency: string; state: number }>
  }>('/api/breakers', 2_000)
  return (
    <Page title="Circuit breakers">
      {!data ? (
        <Empty>Loading…</Empty>
      ) : data.items.length === 0 ? (
        <Empty>No instance has called a dependency yet.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>instance</th>
              <th>dependency</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((b) => (
              <tr key={`${b.instance}-${b.dependency}`}>
                <td>{b.instance}</td>
                <td>{b.dependency}</td>
                <td>
                  <Badge tone={b.state === 0 ? 'ok' : b.state === 1 ? 'bad' : 'warn'}>
                    {BREAKER[b.state] ?? b.state}
                  </Badge>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  )
}

interface Saga {
  service: string
  id?: string
  saga?: string
  state?: string
  step?: string
  startedAt?: string
  updatedAt?: string
  error?: string
}

export function SagasPage() {
  const { data } = usePoll<{
    services: string[]
    items: Saga[]
    outcomes: Array<{ service: string; instance: string; saga: string; outcome: string; count: number }>
  }>('/api/sagas', 3_000)
  if (!data)
    return (
      <Page title="Sagas">
        <Empty>Loading…</Empty>
      </Page>
    )
  const inFlight = data.items.filter((s) => !['completed', 'compensated', 'failed'].includes(s.state ?? ''))
  const failed = data.items.filter((s) => ['failed', 'compensated'].includes(s.state ?? ''))
  return (
    <Page title="Sagas">
      {data.services.length === 0 ? (
        <Empty>No saga-running services: no instance serves GET /sagas.</Empty>
      ) : (
        <>
          <h2>In flight ({inFlight.length})</h2>
          <SagaTable items={inFlight} />
          <h2>Failed or compensated ({failed.length})</h2>
          <SagaTable items={failed} />
        </>
      )}
      {data.outcomes.length > 0 && (
        <>
          <h2>Outcomes</h2>
          <table className="grid compact">
            <tbody>
              {data.outcomes.map((o) => (
                <tr key={`${o.instance}-${o.saga}-${o.outcome}`}>
                  <td>{o.instance}</td>
                  <td>{o.saga}</td>
                  <td>{o.outcome}</td>
                  <td>{o.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Page>
  )
}

function SagaTable({ items }: { items: Saga[] }) {
  if (items.length === 0) return <Empty>None.</Empty>
  return (
    <table className="grid">
      <thead>
        <tr>
          <th>service</th>
          <th>saga</th>
          <th>id</th>
          <th>state</th>
          <th>step</th>
          <th>updated</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {items.map((s) => (
          <tr key={`${s.service}-${s.id}`}>
            <td>{s.service}</td>
            <td>{s.saga}</td>
            <td className="mono">{s.id}</td>
            <td>{s.state}</td>
            <td>{s.step}</td>
            <td>{s.updatedAt}</td>
            <td>{s.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

interface DeadLetter {
  service: string
  id: number
  messageId: string | null
  type: string | null
  error: string
  attempts: number
  deadAt: string
}

export function DeadLettersPage() {
  const { data, reload } = usePoll<{ services: string[]; items: DeadLetter[] }>('/api/dead-letters', 3_000)
  const [message, setMessage] = useState('')
  const replay = async (d: DeadLetter) => {
    try {
      const result = await postJson<{ alreadyHandled: boolean }>(
        `/api/dead-letters/${d.service}/${d.id}/replay`,
      )
      setMessage(
        `${d.service} #${d.id} replayed${result.alreadyHandled ? ' (it had been handled already)' : ''}`,
      )
    } catch (e) {
      setMessage(`replay failed: ${(e as Error).message}`)
    }
    reload()
  }
  return (
    <Page title="Dead letters">
      {message && <p className="notice">{message}</p>}
      {!data ? (
        <Empty>Loading…</Empty>
      ) : data.items.length === 0 ? (
        <Empty>No dead letters ({data.services.join(', ') || 'no services'} asked).</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>service</th>
              <th>id</th>
              <th>type</th>
              <th>error</th>
              <th>attempts</th>
              <th>dead at</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.items.map((d) => (
              <tr key={`${d.service}-${d.id}`}>
                <td>{d.service}</td>
                <td>{d.id}</td>
                <td>{d.type}</td>
                <td className="wrap">{d.error}</td>
                <td>{d.attempts}</td>
                <td>{fmtTime(Date.parse(d.deadAt))}</td>
                <td>
                  <button type="button" onClick={() => replay(d)}>
                    Replay
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  )
}

interface Alert {
  id: string
  rule: string
  severity: string
  summary: string
  labels: Record<string, string>
  state: string
  value: string
  since: number
  resolvedAt?: number
}

export function AlertsPage() {
  const { data } = usePoll<{ items: Alert[] }>('/api/alerts', 2_000)
  return (
    <Page
      title="Alerts"
      actions={
        <a href="/api/alerts/rules.yml" download="trellis-rules.yml">
          Prometheus rule file
        </a>
      }
    >
      {!data ? (
        <Empty>Loading…</Empty>
      ) : data.items.length === 0 ? (
        <Empty>No alerts: every rule holds quiet.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>state</th>
              <th>rule</th>
              <th>labels</th>
              <th>value</th>
              <th>since</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((a) => (
              <tr key={a.id}>
                <td>
                  <Badge tone={a.state === 'firing' ? (a.severity === 'critical' ? 'bad' : 'warn') : 'ok'}>
                    {a.state}
                  </Badge>
                </td>
                <td>
                  <strong>{a.rule}</strong>
                  <div className="muted">{a.summary}</div>
                </td>
                <td className="mono">
                  {Object.entries(a.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}
                </td>
                <td>{a.value}</td>
                <td>{fmtTime(a.state === 'firing' ? a.since : (a.resolvedAt ?? a.since))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  )
}
