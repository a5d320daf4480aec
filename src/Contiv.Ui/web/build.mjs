// Bundles src/main.ts (and cytoscape) into one script and copies the static files: node build.mjs [outdir]
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';

const out = process.argv[2] ?? 'dist';
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  minify: true,
  sourcemap: true,
  target: ['es2022'],
  outfile: `${out}/app.js`,
  logLevel: 'warning',
});
cpSync('static', out, { recursive: true });
