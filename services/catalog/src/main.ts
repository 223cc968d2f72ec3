import { main } from '@trellis/kit'
import { catalog } from './service.js'

await main(catalog)
