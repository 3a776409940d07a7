// The pending invite rejections suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./invite-rejections.test.ts');
export {};
