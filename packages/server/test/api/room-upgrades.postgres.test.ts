// The room-upgrades suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./room-upgrades.test.ts');
export {};
