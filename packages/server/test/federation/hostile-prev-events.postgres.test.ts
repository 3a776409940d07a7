// The hostile prev_events suite again, on PostgreSQL (extremity bounds).
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./hostile-prev-events.test.ts');
export {};
