// Vite and vitest settings of the UI: Svelte 5, relative asset paths (the Tauri shell and the hub
// serve the same files), two pages (the phone app's index.html and the ward office's dashboard,
// office.html, served by the hub at /office/), jsdom for component tests.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  base: './',
  // Loopback only: a phone on the campaign Wi-Fi has no business with a developer's server.
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: {
    target: 'es2022',
    // Fonts stay files (never inlined as base64 into CSS).
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    rollupOptions: {
      input: {
        // Relative to the UI's folder, where npm runs the build.
        index: 'index.html',
        office: 'office.html',
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
  },
});
