import type { ReactElement } from 'react'
import { createRoot } from 'react-dom/client'
import { usePoll } from './api'
import { InstancesPage } from './pages/instances'
import { LogsPage } from './pages/logs'
import { MetricsPage } from './pages/metrics'
import { AlertsPage, BreakersPage, DeadLettersPage, SagasPage } from './pages/operations'
import { TopologyPage } from './pages/topology'
import { TracePage, TracesPage } from './pages/traces'
import { useRoute } from './router'
import './style.css'

const NAV = [
  ['topology', 'Topology'],
  ['instances', 'Instances'],
  ['traces', 'Traces'],
  ['logs', 'Logs'],
  ['metrics', 'Metrics'],
  ['breakers', 'Breakers'],
  ['sagas', 'Sagas'],
  ['dead-letters', 'Dead letters'],
  ['alerts', 'Alerts'],
] as const

function App() {
  const [page = 'topology', id] = useRoute()
  const query = new URLSearchParams(window.location.hash.split('?')[1] ?? '')
  const { data: overview } = usePoll<{
    spans: { spans: number }
    logLines: number
    instances: number
    firing: number
  }>('/api/overview', 3_000)
  let body: ReactElement
  switch (page) {
    case 'traces':
      body = id ? <TracePage id={id} /> : <TracesPage query={query} />
      break
    case 'logs':
      body = <LogsPage key={window.location.hash} query={query} />
      break
    case 'metrics':
      body = <MetricsPage />
      break
    case 'instances':
      body = <InstancesPage />
      break
    case 'breakers':
      body = <BreakersPage />
      break
    case 'sagas':
      body = <SagasPage />
      break
    case 'dead-letters':
      body = <DeadLettersPage />
      break
    case 'alerts':
      body = <AlertsPage />
      break
    default:
      body = <TopologyPage />
  }
  return (
    <div className="app">
      <nav>
        <div className="brand">Trellis</div>
        {NAV.map(([path, label]) => (
          <a key={path} href={`#/${path}`} className={page === path ? 'active' : ''}>
            {label}
            {path === 'alerts' && overview?.firing ? <span className="count">{overview.firing}</span> : null}
          </a>
        ))}
        {overview && (
          <div className="stats">
            {overview.instances} instances
            <br />
            {overview.spans.spans} spans
            <br />
            {overview.logLines} log lines
          </div>
        )}
      </nav>
      <main>{body}</main>
    </div>
  )
}

createRoot(document.getElementById('root')!).render(<App />)
