import type { Queryable } from '@trellis/kit'
import { v7 as uuidv7 } from 'uuid'
import { CatalogErrors } from '../errors.js'

export interface Merchant {
  id: string
  slug: string
  name: string
  productCount: number
  createdAt: string
}

interface MerchantRow {
  id: string
  slug: string
  name: string
  product_count: string
  created_at: Date
}

export class MerchantStore {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<Merchant[]> {
    const { rows } = await this.db.query<MerchantRow>(
      `SELECT m.id, m.slug, m.name, m.created_at, count(p.id) AS product_count
       FROM merchants m LEFT JOIN products p ON p.merchant_id = m.id
       GROUP BY m.id ORDER BY m.name, m.id LIMIT 500`,
    )
    return rows.map(toMerchant)
  }

  async get(id: string): Promise<Merchant | undefined> {
    const { rows } = await this.db.query<MerchantRow>(
      `SELECT m.id, m.slug, m.name, m.created_at, (SELECT count(*) FROM products p WHERE p.merchant_id = m.id) AS product_count
       FROM merchants m WHERE m.id = $1`,
      [id],
    )
    return rows[0] && toMerchant(rows[0])
  }

  async create(slug: string, name: string): Promise<Merchant> {
    const id = uuidv7()
    try {
      await this.db.query('INSERT INTO merchants (id, slug, name) VALUES ($1, $2, $3)', [id, slug, name])
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw CatalogErrors.slugTaken(slug)
      throw error
    }
    return (await this.get(id))!
  }
}

function toMerchant(row: MerchantRow): Merchant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    productCount: Number(row.product_count),
    createdAt: row.created_at.toISOString(),
  }
}
