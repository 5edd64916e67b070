import { describe, expect, it } from 'vitest';
import { keywordOf, leadingWords, schemaChangeTag } from '../../adapters/command-tag.js';

const MODIFIERS = new Set(['OR', 'REPLACE', 'TEMP', 'IF', 'NOT', 'EXISTS']);

describe('command tags from statement text', () => {
  it('reads the first words upper-cased past white space, comments and parentheses', () => {
    expect(leadingWords(' -- why\n /* what */ ((select 1) union (select 2))')).toEqual(['SELECT', '1)', 'UNION', '(SELECT', '2))']);
    expect(leadingWords('# a MySQL comment\nselect 1', /^(?:\s+|(?:--\s|#)[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*/)).toEqual(['SELECT', '1']);
    expect(leadingWords('a b c d e f g h i j')).toHaveLength(8);
  });

  it('takes the keyword a word starts with', () => {
    expect(keywordOf('SELECT*')).toBe('SELECT');
    expect(keywordOf('1')).toBeUndefined();
    expect(keywordOf(undefined)).toBeUndefined();
  });

  it('names schema changes by verb and object kind, past the modifiers', () => {
    expect(schemaChangeTag(leadingWords('create or replace temp view v as select 1'), MODIFIERS)).toBe('CREATE VIEW');
    expect(schemaChangeTag(leadingWords('DROP TABLE IF EXISTS t'), MODIFIERS)).toBe('DROP TABLE');
    expect(schemaChangeTag(leadingWords('alter table t add column x int'), MODIFIERS)).toBe('ALTER TABLE');
    expect(schemaChangeTag(leadingWords('create'), MODIFIERS)).toBe('CREATE');
    expect(schemaChangeTag(leadingWords('insert into t values (1)'), MODIFIERS)).toBeUndefined();
  });
});
