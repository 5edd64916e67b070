/**
 * Cuts a script into statements on top-level `;`, using the tokenizer so that a `;`
 * inside a string, quoted name, `$$` body, comment or parentheses never splits.
 */
import type { Position } from './ast.js';
import { STANDARD_LEXICAL_RULES, type LexicalRules } from './spelling.js';
import { Tokenizer } from './tokenizer.js';

/** One statement of a script, as `parseStatement` takes it. */
export interface ScriptPart {
  /** The statement's text without its terminating `;`, from its first token to its last. */
  readonly text: string;
  /** Where `text` starts in the script. */
  readonly start: Position;
}

/**
 * Splits `text` into its statements. Leading and trailing whitespace and comments of each
 * statement are left out (a trailing `-- comment` would swallow anything appended to the
 * text), and statements made only of whitespace and comments are dropped.
 *
 * @throws SqlSyntaxError at the opening of an unterminated quote, comment or `$$` body.
 */
export function splitScript(text: string, rules: LexicalRules = STANDARD_LEXICAL_RULES): ScriptPart[] {
  return scanScript(text, rules).parts;
}

/**
 * Whether `text` ends with a statement's terminating `;`: its last token, ignoring comments,
 * is a `;` outside parentheses. A prompt sends what it has read then, as psql does; a text
 * that merely ends with the character (`DELETE FROM t -- old rows;`) ends no statement.
 *
 * @throws SqlSyntaxError at the opening of an unterminated quote, comment or `$$` body.
 */
export function endsWithTerminator(text: string, rules: LexicalRules = STANDARD_LEXICAL_RULES): boolean {
  return scanScript(text, rules).terminated;
}

function scanScript(text: string, rules: LexicalRules): { parts: ScriptPart[]; terminated: boolean } {
  const tokenizer = new Tokenizer(text, rules, { endName: 'end of script' });
  const parts: ScriptPart[] = [];
  let start: Position | null = null;
  let end = 0;
  let depth = 0;
  let terminated = false;
  for (;;) {
    const token = tokenizer.next();
    const isTerminator = token.kind === 'punctuation' && token.text === ';' && depth === 0;
    if (token.kind === 'eof' || isTerminator) {
      if (start) parts.push({ text: text.slice(start.offset, end), start });
      if (token.kind === 'eof') return { parts, terminated };
      start = null;
      terminated = true;
      continue;
    }
    terminated = false;
    if (token.kind === 'punctuation') {
      if (token.text === '(') depth++;
      // An unmatched `)` is the database's to report; it must not hide later `;`s.
      else if (token.text === ')' && depth > 0) depth--;
    }
    start ??= token.start;
    end = token.end;
  }
}
