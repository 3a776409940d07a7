// @hush/server: the homeserver as a library (the CLI's `hush serve` starts it).
export { startServer, createLogger, type RunningServer } from './main.ts';
export { StartupError } from './startup-errors.ts';
export { resolveConfig, readConfigFile, ConfigError, type Config } from './config/config.ts';
export { buildApp } from './app.ts';
export { openDatabase, isPostgresUrl, DatabaseBusy, type DatabaseHandle } from './storage/db.ts';
export { copyHomeserver, CopyRefused, type CopyReport } from './storage/copy.ts';
export { listReports } from './services/reports.ts';
export type { ReportRow } from './storage/reports.store.ts';
