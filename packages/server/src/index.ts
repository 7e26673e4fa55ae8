export { resolveConfig, type ServerConfig } from './config.js';
export { startServer, openRegistry, VERSION, type RunningServer } from './server.js';
export { buildApp } from './http/app.js';
export { Registry, invalid } from './registry/registry.js';
export { applySeed, planSeed, defaultSeedDir, SEED_PRINCIPAL } from './registry/seed.js';
export { readEntryFiles, parseEntryText, type SourcedEntry, type FileProblem } from './registry/entry-files.js';
export { openDatabase, isPostgresUrl, type DatabaseHandle, type Engine } from './store/db.js';
export { migrateToLatest } from './store/migrations.js';
export { registryStore } from './store/registry-store.js';
