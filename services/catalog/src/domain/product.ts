import { CatalogErrors } from '../errors.js'

export interface ProductOption {
  name: string
  values: string[]
}

export interface SkuDraft {
  sku: string
  options: Record<string, string>
  priceCents: number
  currency?: string
}

/**
 * A SKU names exactly one value of each of its product's options, and no two
 * SKUs of a product name the same combination. Pure: checked before any write.
 */
export function checkSkus(options: ProductOption[], skus: SkuDraft[]): void {
  const byName = new Map(options.map((o) => [o.name, new Set(o.values)]))
  if (byName.size !== options.length)
    throw CatalogErrors.skuOptionsInvalid('-', 'option names must be unique')
  for (const option of options) {
    if (new Set(option.values).size !== option.values.length) {
      throw CatalogErrors.skuOptionsInvalid('-', `option ${option.name} lists a value twice`)
    }
  }
  const seenSkus = new Set<string>()
  const seenCombos = new Set<string>()
  for (const sku of skus) {
    if (seenSkus.has(sku.sku)) throw CatalogErrors.skuOptionsInvalid(sku.sku, 'appears twice')
    seenSkus.add(sku.sku)
    const names = Object.keys(sku.options)
    if (names.length !== options.length) {
      throw CatalogErrors.skuOptionsInvalid(
        sku.sku,
        `must name a value for each option (${options.map((o) => o.name).join(', ') || 'none'})`,
      )
    }
    for (const [name, value] of Object.entries(sku.options)) {
      const values = byName.get(name)
      if (!values) throw CatalogErrors.skuOptionsInvalid(sku.sku, `the product has no option ${name}`)
      if (!values.has(value))
        throw CatalogErrors.skuOptionsInvalid(sku.sku, `${value} is not a value of ${name}`)
    }
    const combo = options.map((o) => sku.options[o.name]).join('\u0000')
    if (seenCombos.has(combo))
      throw CatalogErrors.skuOptionsInvalid(sku.sku, 'repeats the option values of another SKU')
    seenCombos.add(combo)
  }
}

/** Escapes LIKE wildcards so a search for `50%` finds "50%", not everything. */
export function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
