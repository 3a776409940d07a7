// The room-event-by-timestamp suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./room-event-by-timestamp.test.ts');
export {};
