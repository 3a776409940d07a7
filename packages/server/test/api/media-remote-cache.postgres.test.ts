// The remote media cache suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./media-remote-cache.test.ts');
export {};
