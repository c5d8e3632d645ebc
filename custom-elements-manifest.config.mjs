// `npm run manifest` writes custom-elements.json (committed) from the element's source and JSDoc.
export default {
  globs: ['web/finetune-trainer.ts', 'web/events.ts'],
  outdir: '.',
  litelement: true,
  // package.json names the manifest already; do not let the analyzer rewrite it.
  packagejson: false,
};
