// Every endpoint descriptor, by spec area.
export * from './accounts.ts';
