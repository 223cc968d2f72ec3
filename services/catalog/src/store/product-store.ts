import type { Queryable } from '@trellis/kit'
import { v7 as uuidv7 } from 'uuid'
import { encodeCursor, type ProductCursor } from '../domain/cursor.js'
import { likePattern, type ProductOption, type SkuDraft } from '../domain/product.js'
import { CatalogErrors } from '../errors.js'

export interface Sku {
  sku: string
  options: Record<string, string>
  priceCents: number
  currency: string
}

export interface Product {
  id: string
  merchantId: string
  name: string
  description: string
  category: string
  status: 'active' | 'archived'
  options: ProductOption[]
  skus: Sku[]
  version: number
  createdAt: string
  updatedAt: string
}

export interface ProductQuery {
  q?: string
  merchantId?: string
  category?: string
  status?: 'active' | 'archived'
  limit: number
  after?: ProductCursor
}

export interface NewProduct {
  merchantId: string
  name: string
  description: string
  category: string
  options: ProductOption[]
  skus: SkuDraft[]
}

export interface ProductChanges {
  name?: string
  description?: string
  category?: string
  status?: 'active' | 'archived'
}

interface ProductRow {
  id: string
  merchant_id: string
  name: string
  description: string
  category: string
  status: 'active' | 'archived'
  options: ProductOption[]
  version: number
  created_at: Date
  updated_at: Date
}

const PRODUCT_COLUMNS =
  'id, merchant_id, name, description, category, status, options, version, created_at, updated_at'

/** Products and their SKUs in the catalog's own database. */
export class ProductStore {
  constructor(private readonly db: Queryable) {}

  async list(query: ProductQuery): Promise<{ items: Product[]; nextCursor: string | null }> {
    const where: string[] = []
    const params: unknown[] = []
    const add = (sql: string, value: unknown) => {
      params.push(value)
      where.push(sql.replace('?', `$${params.length}`))
    }
    if (query.q) add('name ILIKE ?', likePattern(query.q))
    if (query.merchantId) add('merchant_id = ?', query.merchantId)
    if (query.category) add('category = ?', query.category)
    if (query.status) add('status = ?', query.status)
    if (query.after) {
      params.push(query.after.name, query.after.id)
      where.push(`(lower(name), id) > ($${params.length - 1}, $${params.length})`)
    }
    params.push(query.limit + 1)
    const { rows } = await this.db.query<ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM products ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY lower(name), id LIMIT $${params.length}`,
      params,
    )
    const page = rows.slice(0, query.limit)
    const last = page.at(-1)
    return {
      items: await this.withSkus(page),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ name: last.name.toLowerCase(), id: last.id })
          : null,
    }
  }

  async get(id: string): Promise<Product | undefined> {
    const { rows } = await this.db.query<ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1`,
      [id],
    )
    return rows[0] ? (await this.withSkus(rows))[0] : undefined
  }

  async create(draft: NewProduct): Promise<Product> {
    const merchant = await this.db.query('SELECT 1 FROM merchants WHERE id = $1', [draft.merchantId])
    if (!merchant.rowCount) throw CatalogErrors.merchantUnknown(draft.merchantId)
    const id = uuidv7()
    await this.db.query(
      `INSERT INTO products (id, merchant_id, name, description, category, options) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, draft.merchantId, draft.name, draft.description, draft.category, JSON.stringify(draft.options)],
    )
    for (const [position, sku] of draft.skus.entries()) {
      try {
        await this.db.query(
          'INSERT INTO skus (sku, product_id, options, price_cents, currency, position) VALUES ($1, $2, $3, $4, $5, $6)',
          [sku.sku, id, JSON.stringify(sku.options), sku.priceCents, sku.currency ?? 'USD', position],
        )
      } catch (error) {
        if ((error as { code?: string }).code === '23505') throw CatalogErrors.skuTaken(sku.sku)
        throw error
      }
    }
    return (await this.get(id))!
  }

  /**
   * Applies changes if the product is at `expectedVersion` (when given) and
   * belongs to `owner` (any merchant when null); bumps the version.
   */
  async update(
    id: string,
    changes: ProductChanges,
    expectedVersion: number | undefined,
    owner: string | null,
  ): Promise<Product> {
    const sets: string[] = []
    const params: unknown[] = [id, owner]
    for (const [column, value] of Object.entries(changes)) {
      if (value === undefined) continue
      params.push(value)
      sets.push(`${column} = $${params.length}`)
    }
    let versionCheck = ''
    if (expectedVersion !== undefined) {
      params.push(expectedVersion)
      versionCheck = ` AND version = $${params.length}`
    }
    const { rowCount } = await this.db.query(
      `UPDATE products SET ${[...sets, 'version = version + 1', 'updated_at = now()'].join(', ')} WHERE id = $1 AND ($2::uuid IS NULL OR merchant_id = $2)${versionCheck}`,
      params,
    )
    if (!rowCount) {
      const current = await this.get(id)
      // Another merchant's product is answered like a missing one.
      if (!current || (owner !== null && current.merchantId !== owner))
        throw CatalogErrors.productNotFound(id)
      throw CatalogErrors.versionConflict(id, current.version, expectedVersion ?? '?')
    }
    return (await this.get(id))!
  }

  /** One SKU; with `lock`, its row is locked until the transaction ends (read-modify-write). */
  async sku(
    sku: string,
    lock = false,
  ): Promise<(Sku & { productId: string; productName: string; status: string }) | undefined> {
    const { rows } = await this.db.query<{
      sku: string
      options: Record<string, string>
      price_cents: number
      currency: string
      product_id: string
      name: string
      status: string
    }>(
      `SELECT s.sku, s.options, s.price_cents, s.currency, s.product_id, p.name, p.status
       FROM skus s JOIN products p ON p.id = s.product_id WHERE s.sku = $1${lock ? ' FOR UPDATE OF s' : ''}`,
      [sku],
    )
    const row = rows[0]
    return (
      row && {
        sku: row.sku,
        options: row.options,
        priceCents: row.price_cents,
        currency: row.currency,
        productId: row.product_id,
        productName: row.name,
        status: row.status,
      }
    )
  }

  /** Sets the price of a SKU whose product belongs to `owner` (any merchant when null); false when there is none. */
  async setPrice(
    sku: string,
    priceCents: number,
    currency: string | undefined,
    owner: string | null,
  ): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE skus SET price_cents = $2, currency = COALESCE($3, currency)
       WHERE sku = $1 AND ($4::uuid IS NULL OR product_id IN (SELECT id FROM products WHERE merchant_id = $4))`,
      [sku, priceCents, currency ?? null, owner],
    )
    if (rowCount) {
      await this.db.query(
        'UPDATE products SET version = version + 1, updated_at = now() WHERE id = (SELECT product_id FROM skus WHERE sku = $1)',
        [sku],
      )
    }
    return (rowCount ?? 0) > 0
  }

  private async withSkus(rows: ProductRow[]): Promise<Product[]> {
    if (rows.length === 0) return []
    const { rows: skuRows } = await this.db.query<{
      product_id: string
      sku: string
      options: Record<string, string>
      price_cents: number
      currency: string
    }>(
      'SELECT product_id, sku, options, price_cents, currency FROM skus WHERE product_id = ANY($1) ORDER BY position, sku',
      [rows.map((r) => r.id)],
    )
    const byProduct = new Map<string, Sku[]>()
    for (const s of skuRows) {
      const list = byProduct.get(s.product_id) ?? []
      list.push({ sku: s.sku, options: s.options, priceCents: s.price_cents, currency: s.currency })
      byProduct.set(s.product_id, list)
    }
    return rows.map((r) => ({
      id: r.id,
      merchantId: r.merchant_id,
      name: r.name,
      description: r.description,
      category: r.category,
      status: r.status,
      options: r.options,
      skus: byProduct.get(r.id) ?? [],
      version: r.version,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }))
  }
}
