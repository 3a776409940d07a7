// The token-revocation suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./token-revocation.test.ts');
export {};
