import { CatalogErrors } from '../errors.js'

/** Keyset paging: the cursor is the sort key of the last item, opaque to clients. */
export interface ProductCursor {
  name: string
  id: string
}

export function encodeCursor(cursor: ProductCursor): string {
  return Buffer.from(JSON.stringify([cursor.name, cursor.id])).toString('base64url')
}

export function decodeCursor(text: string): ProductCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      /^[0-9a-f-]{36}$/.test(value[1])
    ) {
      return { name: value[0], id: value[1] }
    }
  } catch {
    // fall through
  }
  throw CatalogErrors.cursorInvalid()
}
