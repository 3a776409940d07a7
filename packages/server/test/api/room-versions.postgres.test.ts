// The room versions suite again, on PostgreSQL (events in every format, state at an event).
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./room-versions.test.ts');
export {};
