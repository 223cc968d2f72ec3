import { main } from '@trellis/kit'
import { recommendations } from './service.js'

await main(recommendations)
