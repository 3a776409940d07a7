// The room-summary suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./room-summary.test.ts');
export {};
