// The search suite again, against `hush serve` on PostgreSQL.
process.env['HUSH_E2E_DIALECT'] = 'postgres';
await import('./search.e2e.test.ts');
export {};
