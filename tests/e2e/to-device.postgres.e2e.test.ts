// The send-to-device suite again, against `hush serve` on PostgreSQL.
process.env['HUSH_E2E_DIALECT'] = 'postgres';
await import('./to-device.e2e.test.ts');
export {};
