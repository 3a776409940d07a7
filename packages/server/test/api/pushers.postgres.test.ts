// The pushers suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./pushers.test.ts');
export {};
