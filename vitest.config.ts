import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/tmpdir.ts'],
    // Stryker's sandboxes (a copy of the tree, tests included) while a mutation run is going.
    exclude: [...configDefaults.exclude, '.stryker-tmp/**'],
  },
});
