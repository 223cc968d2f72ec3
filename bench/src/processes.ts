// What the benches that start processes share: waiting for one to answer,
// finding an optional tool, and reading a process's CPU time.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'undici'

/** Polls `url` until it answers 200; throws after 30 s. */
export async function waitFor(url: string, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const res = await request(url, { headers, headersTimeout: 1_000 })
      await res.body.dump()
      if (res.statusCode === 200) return
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 30 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Whether a program is on the PATH (wrk, nginx: used when installed). */
export function has(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** CPU time (user + system, ms) of a process and its children (nginx's worker), from /proc; NaN elsewhere. */
export function cpuMs(pid: number): number {
  try {
    const ticks = (p: number) => {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')
      return Number(fields[11]) + Number(fields[12])
    }
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
    // Clock ticks are 1/100 s on Linux.
    return (ticks(pid) + children.map(Number).reduce((sum, c) => sum + ticks(c), 0)) * 10
  } catch {
    return Number.NaN
  }
}

/** CPU time (ms) every process on the machine has used since boot (user, nice, system, irq, softirq), from /proc/stat; NaN elsewhere. */
export function machineCpuMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n', 1)[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number)
    const [user, nice, system, , , irq, softirq] = fields as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ]
    return (user + nice + system + irq + softirq) * 10
  } catch {
    return Number.NaN
  }
}
