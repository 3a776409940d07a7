// The sync suite again, on PostgreSQL: every store it touches runs on both databases.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./sync.test.ts');
export {};
