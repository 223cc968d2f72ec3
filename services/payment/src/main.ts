import { main } from '@trellis/kit'
import { payment } from './service.js'

await main(payment)
