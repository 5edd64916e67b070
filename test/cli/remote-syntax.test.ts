/**
 * What `sqlml --server` accepts as the server's lexical rules (GET /v1/syntax): exactly
 * the members this client knows, each of its type, or one error naming the member at fault.
 */
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../../adapters/dialects.js';
import { syntaxFromJson } from '../../src/cli/remote.js';

const ORIGIN = 'http://127.0.0.1:8080';

describe('syntaxFromJson', () => {
  it("takes each database's rules as the server sends them (JSON), members it does not know left out", () => {
    for (const dialect of Object.values(DIALECTS)) {
      const sent = JSON.parse(JSON.stringify({ dialect: dialect.name, lexical: { ...dialect.lexical, someFutureRule: true } }));
      const syntax = syntaxFromJson(sent, ORIGIN);
      expect(syntax.dialect).toBe(dialect.name);
      expect(syntax.lexical).toEqual(dialect.lexical);
      expect(Object.isFrozen(syntax.lexical)).toBe(true);
    }
  });

  it('refuses an answer without a dialect, without rules, or with a member missing or of another type', () => {
    const lexical = { ...DIALECTS.mysql.lexical };
    expect(() => syntaxFromJson({ lexical }, ORIGIN)).toThrow(`${ORIGIN} answered /v1/syntax without a dialect: is it sqlml serve?`);
    expect(() => syntaxFromJson({ dialect: 'mysql' }, ORIGIN)).toThrow('without its lexical rules');
    expect(() => syntaxFromJson(null, ORIGIN)).toThrow('without a dialect');
    const { hashComments: _dropped, ...missing } = lexical;
    expect(() => syntaxFromJson({ dialect: 'mysql', lexical: missing }, ORIGIN)).toThrow('without a boolean lexical.hashComments');
    expect(() => syntaxFromJson({ dialect: 'mysql', lexical: { ...lexical, backslashEscapes: 'yes' } }, ORIGIN)).toThrow('without a boolean lexical.backslashEscapes');
    expect(() => syntaxFromJson({ dialect: 'mysql', lexical: { ...lexical, identifierQuote: '[' } }, ORIGIN)).toThrow('without " or ` as lexical.identifierQuote');
  });
});
