import { defineConfig } from 'vite'

// The console's UI, built (by scripts/build.mjs, or `npx vite build` here) into the console's dist/ui,
// which its server serves on :8081. `npx vite` here serves it with hot reload against a running console.
export default defineConfig({
  base: '/',
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8081' } },
})
