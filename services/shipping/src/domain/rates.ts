/**
 * Shipping options and prices by destination and weight, without I/O. A
 * small rate card: zones by country, a base price plus a price per started
 * kilogram, and a weight limit per option. Some destinations have no
 * carrier at all (a shipment there fails, which the saga compensates).
 */
export interface ShippingOption {
  code: string
  carrier: string
  days: number
  priceCents: number
}

const ZONES: Record<string, 'domestic' | 'near' | 'world'> = {
  US: 'domestic',
  CA: 'near',
  MX: 'near',
}
/** Destinations no carrier serves. */
export const UNSERVED = new Set(['AQ', 'KP'])

const CARD = [
  {
    code: 'standard',
    carrier: 'Parcel Post',
    days: { domestic: 5, near: 8, world: 14 },
    base: { domestic: 500, near: 1200, world: 2500 },
    perKg: 100,
    maxGrams: 30_000,
  },
  {
    code: 'express',
    carrier: 'Swift Air',
    days: { domestic: 2, near: 3, world: 5 },
    base: { domestic: 1500, near: 2500, world: 4500 },
    perKg: 300,
    maxGrams: 10_000,
  },
] as const

export function shippingOptions(country: string, weightGrams: number): ShippingOption[] {
  if (UNSERVED.has(country) || weightGrams <= 0) return []
  const zone = ZONES[country] ?? 'world'
  const kilos = Math.ceil(weightGrams / 1000)
  return CARD.filter((o) => weightGrams <= o.maxGrams).map((o) => ({
    code: o.code,
    carrier: o.carrier,
    days: o.days[zone],
    priceCents: o.base[zone] + o.perKg * kilos,
  }))
}

export function quote(country: string, option: string, weightGrams: number): ShippingOption | undefined {
  return shippingOptions(country, weightGrams).find((o) => o.code === option)
}
