// The push-rules suite again, on PostgreSQL.
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./push-rules.test.ts');
export {};
