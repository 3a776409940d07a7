// The thread-counts suite again, against `hush serve` on PostgreSQL.
process.env['HUSH_E2E_DIALECT'] = 'postgres';
await import('./thread-counts.e2e.test.ts');
export {};
