import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built by `npx vite build web` into web/dist, which `dyad serve` serves at `/` (SPA fallback for /call/…,
// /send and /receive/…). The app imports the client SDK and the file-transfer protocol from ../src.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
  },
});
