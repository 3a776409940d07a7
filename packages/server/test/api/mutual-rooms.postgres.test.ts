// The mutual rooms suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./mutual-rooms.test.ts');
export {};
