// The unchanged-state suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./unchanged-state.test.ts');
export {};
