// The account-management suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./account-management.test.ts');
export {};
