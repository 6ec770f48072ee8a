/**
 * The architecture's import rules, checked by dependency-cruiser as part of `npm run lint`: see
 * docs/architecture.md, "Layout". Type-only imports count: they couple modules as much as value
 * imports do (`tsPreCompilationDeps`).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No module imports itself round a cycle, type-only imports included.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'stages-import-no-adapters',
      severity: 'error',
      comment: 'A stage imports ports, never adapters: the composition roots in src/modes/ wire them.',
      from: { path: '^src/(stages|stage-support)/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'stage-support-is-no-stage',
      severity: 'error',
      comment: 'What several stages share imports ports and core, never a stage or a mode.',
      from: { path: '^src/stage-support/' },
      to: { path: '^src/(stages|modes)/' },
    },
    {
      name: 'core-is-the-domain',
      severity: 'error',
      comment: 'core imports nothing of ports, adapters, stages or modes.',
      from: { path: '^src/core/' },
      to: { path: '^src/(ports|adapters|stages|modes)/' },
    },
    {
      name: 'ports-are-contracts',
      severity: 'error',
      comment: 'A port imports core only (and other ports).',
      from: { path: '^src/ports/' },
      to: { path: '^src/(adapters|stages|modes)/' },
    },
    {
      name: 'adapters-implement-ports',
      severity: 'error',
      comment: 'An adapter imports ports and core (and other adapters), never stages or modes.',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(stages|modes)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
