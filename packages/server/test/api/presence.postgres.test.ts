// The presence suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./presence.test.ts');
export {};
