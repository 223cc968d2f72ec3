import { main } from '@trellis/kit'
import { order } from './service.js'

await main(order)
