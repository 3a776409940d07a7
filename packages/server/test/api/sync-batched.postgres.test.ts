// The batched initial /sync suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./sync-batched.test.ts');
export {};
