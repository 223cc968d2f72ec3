import { main } from '@trellis/kit'
import { cart } from './service.js'

await main(cart)
