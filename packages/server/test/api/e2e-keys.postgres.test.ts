// The end-to-end keys suite again, on PostgreSQL: every store it touches runs on both databases.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./e2e-keys.test.ts');
export {};
