import { main } from '@trellis/kit'
import { configServer } from './service.js'

await main(configServer)
