import type { Queryable } from '../db/database.js'

export interface DeadLetter {
  id: number
  messageId: string | null
  type: string | null
  body: string
  error: string
  attempts: number
  deadAt: string
  replayedAt: string | null
  replayCount: number
}

interface Row {
  id: string
  message_id: string | null
  type: string | null
  body: string
  error: string
  attempts: number
  dead_at: Date
  replayed_at: Date | null
  replay_count: number
}

const COLUMNS = 'id, message_id, type, body, error, attempts, dead_at, replayed_at, replay_count'

function toDeadLetter(row: Row): DeadLetter {
  return {
    id: Number(row.id),
    messageId: row.message_id,
    type: row.type,
    body: row.body,
    error: row.error,
    attempts: row.attempts,
    deadAt: row.dead_at.toISOString(),
    replayedAt: row.replayed_at?.toISOString() ?? null,
    replayCount: row.replay_count,
  }
}

/** Messages this service gave up on, with the last error; kept until replayed or discarded. */
export class DeadLetterStore {
  constructor(private readonly db: Queryable) {}

  /** Stores a dead letter; a message already waiting as one is not stored twice. */
  async add(letter: {
    messageId: string | undefined
    type: string | undefined
    body: string
    error: string
    attempts: number
  }): Promise<void> {
    await this.db.query(
      `INSERT INTO trellis_dead_letters (message_id, type, body, error, attempts) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (message_id) WHERE replayed_at IS NULL DO NOTHING`,
      [
        letter.messageId ?? null,
        letter.type ?? null,
        letter.body,
        letter.error.slice(0, 2_000),
        letter.attempts,
      ],
    )
  }

  async list(options: { limit: number; after?: number; replayed?: boolean }): Promise<DeadLetter[]> {
    const params: unknown[] = [options.limit, options.after ?? 0]
    const replayed =
      options.replayed === undefined ? '' : `AND replayed_at IS ${options.replayed ? 'NOT NULL' : 'NULL'}`
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM trellis_dead_letters WHERE id > $2 ${replayed} ORDER BY id LIMIT $1`,
      params,
    )
    return rows.map(toDeadLetter)
  }

  async get(id: number, lock = false): Promise<DeadLetter | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM trellis_dead_letters WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    )
    return rows[0] && toDeadLetter(rows[0])
  }

  async markReplayed(id: number): Promise<void> {
    await this.db.query(
      'UPDATE trellis_dead_letters SET replayed_at = now(), replay_count = replay_count + 1 WHERE id = $1',
      [id],
    )
  }

  async recordFailedReplay(id: number, error: string): Promise<void> {
    await this.db.query(
      'UPDATE trellis_dead_letters SET error = $2, replay_count = replay_count + 1 WHERE id = $1',
      [id, error.slice(0, 2_000)],
    )
  }

  async remove(id: number): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM trellis_dead_letters WHERE id = $1', [id])
    return (rowCount ?? 0) > 0
  }

  /** Dead letters not yet replayed. */
  async waiting(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      'SELECT count(*) AS n FROM trellis_dead_letters WHERE replayed_at IS NULL',
    )
    return Number(rows[0]?.n ?? 0)
  }
}
