// The public-rooms suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./public-rooms.test.ts');
export {};
