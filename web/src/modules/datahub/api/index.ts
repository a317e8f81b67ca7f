// The datahub's calls, one file per backend package; pages import from here only.
export * from './catalog'
export * from './ingest'
export * from './quality'
export * from './sharing'
export * from './masterdata'
export * from './opendata'
export * from './datasources'
