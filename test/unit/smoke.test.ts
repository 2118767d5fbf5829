import type { SourceLocation } from '../../src/model.js';
test('model loads', () => { const l: SourceLocation = { file: 'a', line: 1, column: 1 }; expect(l.line).toBe(1); });
