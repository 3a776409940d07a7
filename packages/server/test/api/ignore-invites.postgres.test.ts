// The invite-lists suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./ignore-invites.test.ts');
export {};
