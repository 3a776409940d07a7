// The extended profile fields suite again, on PostgreSQL (the new table and the per-user lock).
process.env['HUSH_API_DIALECT'] = 'postgres';
await import('./profile-fields.test.ts');
export {};
