// Vite build of the web client: one hashed JS and CSS file under dist/assets, served by `hush serve`.
// JSX is Preact's automatic runtime (set in the root tsconfig); no plugin needed.

import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: true },
});
