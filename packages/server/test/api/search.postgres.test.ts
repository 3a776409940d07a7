// The search suite again, on PostgreSQL (tsvector and its GIN index).
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./search.test.ts');
export {};
