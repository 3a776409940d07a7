// The tags-reports suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./tags-reports.test.ts');
export {};
