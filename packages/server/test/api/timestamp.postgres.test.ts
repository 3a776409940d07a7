// The timestamp suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./timestamp.test.ts');
export {};
