// The room-aliases suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./room-aliases.test.ts');
export {};
