// The newest-proposals suite again, against `hush serve` on PostgreSQL.
process.env['HUSH_E2E_DIALECT'] = 'postgres';
await import('./newest-proposals.e2e.test.ts');
export {};
