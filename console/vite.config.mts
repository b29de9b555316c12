// Built by `npm run build:console` (vite build console) into console/dist, which the API serves at /console (api/console.ts).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  // Preact's automatic JSX runtime: no React, no plugin.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true, reportCompressedSize: false },
});
