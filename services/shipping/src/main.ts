import { main } from '@trellis/kit'
import { shipping } from './service.js'

await main(shipping)
