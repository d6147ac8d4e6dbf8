import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The CLI, examples, scripts, benchmarks and tests talk to a person on a terminal; library
    // code logs through the logger it is given (core/logger.ts).
    files: ['src/cli/**', 'examples/**', 'scripts/**', 'bench/**', 'bin/**', 'test/**', 'src/**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
);
