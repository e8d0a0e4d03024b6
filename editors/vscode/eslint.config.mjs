// ESLint flat config: TypeScript sources with typescript-eslint, the webview scripts (browser) and the tests (Node).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', '.test-tools/**', 'test-results/**'] },
  js.configs.recommended,
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-namespace': 'off', // protocol.ts mirrors the server's methods as LSP's protocol does
      '@typescript-eslint/no-explicit-any': 'off', // command arguments from VS Code are untyped
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['media/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, acquireVsCodeApi: 'readonly', module: 'readonly' },
    },
    rules: { eqeqeq: ['error', 'smart'] },
  },
  {
    files: ['test/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
);
