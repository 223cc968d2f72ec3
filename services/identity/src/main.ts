import { main } from '@trellis/kit'
import { identity } from './service.js'

await main(identity)
