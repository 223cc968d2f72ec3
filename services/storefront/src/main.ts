import { main } from '@trellis/kit'
import { storefront } from './service.js'

await main(storefront)
