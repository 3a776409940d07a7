// The UIA-session suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./uia-sessions.test.ts');
export {};
