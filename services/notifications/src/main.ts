import { main } from '@trellis/kit'
import { notifications } from './service.js'

await main(notifications)
