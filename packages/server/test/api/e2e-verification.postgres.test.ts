// The key suite of what verifying clients need, again on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./e2e-verification.test.ts');
export {};
