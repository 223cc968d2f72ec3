export { LeaseTable, type LeaseTableOptions } from './lease-table.js'
export { createRegistryApp, type RegistryOptions, RegistryServerErrors } from './registry-app.js'
