import { defineConfig } from "vite";

// The build lands where the gateway serves it (`make console`); relative asset URLs let the
// same files work at `/` locally and on Firebase Hosting.
export default defineConfig({
  base: "./",
  build: {
    outDir: process.env.HS_CONSOLE_OUT ?? "../build/console",
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
});
