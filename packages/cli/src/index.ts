// @hush/cli: the `hush` command line.
export { main } from './main.ts';
