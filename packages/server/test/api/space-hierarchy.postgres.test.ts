// The space-hierarchy suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./space-hierarchy.test.ts');
export {};
