// The threads suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./threads.test.ts');
export {};
