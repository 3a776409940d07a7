// The media suite again, on PostgreSQL (the metadata store and the quota lock).
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./media.test.ts');
export {};
