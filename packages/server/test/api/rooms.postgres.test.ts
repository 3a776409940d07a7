// The rooms suite again, on PostgreSQL: every store it touches runs on both databases.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./rooms.test.ts');
export {};
