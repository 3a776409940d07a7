// The threads-list suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./threads-list.test.ts');
export {};
