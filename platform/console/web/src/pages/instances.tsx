import { useState } from 'react'
import { fmtNum, postJson, usePoll } from '../api'
import { Badge, Empty, Page } from '../components'

interface Instance {
  instance: string
  service: string
  kind: string
  url?: string
  phase?: string
  ready?: boolean
  up?: boolean
  restarts: number
  registered: boolean
  latest?: { rps: number; cpuPct: number; rssMb: number }
}

export function InstancesPage() {
  const { data, reload } = usePoll<{ items: Instance[] }>('/api/instances', 2_000)
  const [message, setMessage] = useState('')
  const act = async (what: Promise<unknown>, done: string) => {
    try {
      await what
      setMessage(done)
    } catch (e) {
      setMessage(`failed: ${(e as Error).message}`)
    }
    reload()
  }
  const services = [...new Set((data?.items ?? []).filter((i) => i.kind === 'service').map((i) => i.service))]
  return (
    <Page title="Instances">
      {message && <p className="notice">{message}</p>}
      {!data ? (
        <Empty>Loading…</Empty>
      ) : (
        <>
          <table className="grid">
            <thead>
              <tr>
                <th>instance</th>
                <th>phase</th>
                <th>scrape</th>
                <th>registered</th>
                <th>restarts</th>
                <th>req/s</th>
                <th>CPU %</th>
                <th>RSS MB</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {data.items.map((i) => (
                <tr key={i.instance}>
                  <td>
                    <strong>{i.instance}</strong> <span className="muted">{i.kind}</span>
                  </td>
                  <td>
                    <Badge tone={i.phase === 'running' ? 'ok' : i.phase === 'starting' ? 'warn' : 'bad'}>
                      {i.phase ?? '?'}
                    </Badge>
                  </td>
                  <td>
                    <Badge tone={i.up ? 'ok' : i.up === false ? 'bad' : 'muted'}>
                      {i.up ? 'up' : i.up === false ? 'down' : '…'}
                    </Badge>
                  </td>
                  <td>{i.registered ? 'yes' : 'no'}</td>
                  <td>{i.restarts}</td>
                  <td>{fmtNum(i.latest?.rps)}</td>
                  <td>{fmtNum(i.latest?.cpuPct)}</td>
                  <td>{fmtNum(i.latest?.rssMb, 0)}</td>
                  <td>
                    <button
                      type="button"
                      onClick={() =>
                        act(
                          postJson(`/api/instances/${i.instance}/restart`),
                          `${i.instance}: restart requested`,
                        )
                      }
                    >
                      Restart
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Scale</h2>
          <div className="chips">
            {services.map((s) => {
              const n = data.items.filter((i) => i.service === s).length
              return (
                <span key={s} className="scale">
                  {s} × {n}{' '}
                  <button
                    type="button"
                    onClick={() =>
                      act(
                        postJson(`/api/services/${s}/scale`, { replicas: Math.max(0, n - 1) }),
                        `${s} scaled to ${n - 1}`,
                      )
                    }
                  >
                    −
                  </button>
                  <button
                    type="button"
                    onClick={() =>
                      act(
                        postJson(`/api/services/${s}/scale`, { replicas: n + 1 }),
                        `${s} scaled to ${n + 1}`,
                      )
                    }
                  >
                    +
                  </button>
                </span>
              )
            })}
          </div>
        </>
      )}
    </Page>
  )
}
