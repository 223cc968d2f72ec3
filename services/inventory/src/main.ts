import { main } from '@trellis/kit'
import { inventory } from './service.js'

await main(inventory)
