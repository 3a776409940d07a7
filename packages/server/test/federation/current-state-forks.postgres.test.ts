// The current-state-on-forks suite again, on PostgreSQL (history tombstones, backward extremity positions).
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./current-state-forks.test.ts');
export {};
