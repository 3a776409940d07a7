// The knocking suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./knocking.test.ts');
export {};
