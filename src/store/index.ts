/**
 * Public surface of `store/`: the {@link Store} contract and its embedded SQLite implementation. The contract
 * suite every implementation must pass is `store.case.ts` (test-only, not exported here).
 */
export type { AlertQuery, CvePutResult, EntityQuery, EventQuery, Page, ScanHostDiff, ScanQuery, ScanRecord, ScanStatus, Scope, Store, TokenRecord, WriteBatch } from './store.js';
export { BUSY_TIMEOUT_MS, DB_FILE_NAME, MAX_PAGE_LIMIT, openSqliteStore } from './sqlite-store.js';
export type { SqliteStore, SqliteStoreOptions } from './sqlite-store.js';
