/**
 * Recursive-descent parser for sqlml's statements (../../shared/spec/statements.md).
 * The first words decide: a sqlml statement is parsed into its AST node, anything else
 * becomes a pass-through statement whose text goes to the database verbatim. Every
 * failure goes through `expected(what, found)`, so every message has the same shape.
 */
import { SqlSyntaxError } from '../errors.js';
import type {
  ActivateModel,
  CreateJob,
  CreateModel,
  DescribeData,
  DescribeModel,
  DropJob,
  DropModel,
  EvaluateModel,
  ExplainPredict,
  ExportModel,
  Identifier,
  JobSchedule,
  ModelRef,
  MonitorModel,
  OptionAssignment,
  OptionValue,
  Position,
  Predict,
  PredictInto,
  RetrainModel,
  RunJob,
  ShowJobs,
  ShowModels,
  ShowVersions,
  ShowWeights,
  ShowTrials,
  Source,
  Statement,
  TableName,
  Transform,
  TransformArg,
} from './ast.js';
import { isReservedWord, isSameWord, type Keyword } from './keywords.js';
import { STANDARD_LEXICAL_RULES, type LexicalRules } from './spelling.js';
import { splitScript, type ScriptPart } from './split.js';
import { SCRIPT_START, Tokenizer, type Token } from './tokenizer.js';

/** Deepest nesting of job bodies and recipe calls; deeper input is an error, not a stack overflow. */
export const MAX_NESTING = 50;

/** Longest token text quoted in an error message. */
const MAX_FOUND_LENGTH = 40;

/**
 * Parses one statement, as `splitScript` cuts it; positions in errors and in the tree are
 * script positions (counted from `part.start`).
 *
 * @throws SqlSyntaxError naming the line, column, what was expected and what was found.
 */
export function parseStatement(part: ScriptPart, rules: LexicalRules = STANDARD_LEXICAL_RULES): Statement {
  return new Parser(part, rules).statement();
}

/** Splits a script and parses each statement; throws at the first one that does not parse. */
export function parseScript(text: string, rules: LexicalRules = STANDARD_LEXICAL_RULES): Statement[] {
  return splitScript(text, rules).map((part) => parseStatement(part, rules));
}

/**
 * True when the statement's first keywords are sqlml's (it would not be passed through).
 * Reads only those first words, so it is cheap on long statements.
 */
export function isSqlmlStatement(text: string, rules: LexicalRules = STANDARD_LEXICAL_RULES): boolean {
  try {
    return new Parser({ text, start: SCRIPT_START }, rules).route() !== 'pass_through';
  } catch (error) {
    if (error instanceof SqlSyntaxError) return false;
    throw error;
  }
}

/** Which statement parser the first words lead to; TRAIN is CREATE MODEL with its own spelling. */
type Route = Statement['kind'] | 'train_model';

type Base = { readonly text: string; readonly start: Position };

class Parser {
  readonly #text: string;
  readonly #origin: Position;
  readonly #tokenizer: Tokenizer;
  readonly #lookahead: Token[] = [];
  #depth = 0;

  constructor(part: ScriptPart, rules: LexicalRules) {
    this.#text = part.text;
    this.#origin = part.start;
    this.#tokenizer = new Tokenizer(part.text, rules, { origin: part.start });
  }

  /** The statement starting at the current token and running to the end of the text. */
  statement(): Statement {
    const first = this.#peek();
    if (first.kind === 'eof') this.#expected('statement', first);
    this.#enter(first);
    const base: Base = { text: this.#textFrom(first.start.offset).trimEnd(), start: first.start };
    const statement = this.#routeTo(this.route(), base);
    this.#depth--;
    return statement;
  }

  /** Where the first words lead; reads at most four tokens and consumes none. */
  route(): Route {
    const first = this.#peek();
    if (first.kind !== 'word') return 'pass_through';
    switch (first.text.toUpperCase()) {
      case 'CREATE': {
        const orReplace = this.#isKeyword(this.#peek(1), 'OR') && this.#isKeyword(this.#peek(2), 'REPLACE');
        const what = this.#peek(orReplace ? 3 : 1);
        if (this.#isKeyword(what, 'MODEL')) return 'create_model';
        return this.#isKeyword(what, 'JOB') ? 'create_job' : 'pass_through';
      }
      case 'TRAIN':
        return 'train_model';
      case 'RETRAIN':
        return 'retrain_model';
      case 'EVALUATE':
        return 'evaluate_model';
      case 'EXPORT':
        return this.#isKeyword(this.#peek(1), 'MODEL') ? 'export_model' : 'pass_through';
      case 'PREDICT':
        return 'predict';
      case 'EXPLAIN':
        return this.#isKeyword(this.#peek(1), 'PREDICT') ? 'explain_predict' : 'pass_through';
      case 'RUN':
        return 'run_job';
      case 'SHOW':
        if (this.#isKeyword(this.#peek(1), 'MODELS')) return 'show_models';
        if (this.#isKeyword(this.#peek(1), 'VERSIONS')) return 'show_versions';
        if (this.#isKeyword(this.#peek(1), 'WEIGHTS')) return 'show_weights';
        if (this.#isKeyword(this.#peek(1), 'TRIALS')) return 'show_trials';
        return this.#isKeyword(this.#peek(1), 'JOBS') ? 'show_jobs' : 'pass_through';
      case 'DESCRIBE':
        // DESCRIBE DATA FROM …; a table called data (MySQL's DESCRIBE data) passes through.
        if (this.#isKeyword(this.#peek(1), 'DATA') && this.#isKeyword(this.#peek(2), 'FROM')) return 'describe_data';
        return this.#isKeyword(this.#peek(1), 'MODEL') ? 'describe_model' : 'pass_through';
      case 'ACTIVATE':
        return this.#isKeyword(this.#peek(1), 'MODEL') ? 'activate_model' : 'pass_through';
      case 'MONITOR':
        return this.#isKeyword(this.#peek(1), 'MODEL') ? 'monitor_model' : 'pass_through';
      case 'DROP':
        if (this.#isKeyword(this.#peek(1), 'MODEL')) return 'drop_model';
        return this.#isKeyword(this.#peek(1), 'JOB') ? 'drop_job' : 'pass_through';
      default:
        return 'pass_through';
    }
  }

  #routeTo(route: Route, base: Base): Statement {
    switch (route) {
      case 'create_model':
        return this.#createModel(base, false);
      case 'train_model':
        return this.#createModel(base, true);
      case 'retrain_model':
        return this.#retrainModel(base);
      case 'evaluate_model':
        return this.#evaluateModel(base);
      case 'predict':
        return this.#predict(base);
      case 'explain_predict':
        return this.#explainPredict(base);
      case 'show_models':
        this.#keywordsOnly();
        return { kind: 'show_models', ...base } satisfies ShowModels;
      case 'describe_model':
        return this.#describeModel(base);
      case 'show_weights':
        return this.#showWeights(base);
      case 'drop_model':
        return this.#dropModel(base);
      case 'export_model':
        return this.#exportModel(base);
      case 'create_job':
        return this.#createJob(base);
      case 'show_jobs':
        this.#keywordsOnly();
        return { kind: 'show_jobs', ...base } satisfies ShowJobs;
      case 'show_trials':
        return this.#showTrials(base);
      case 'run_job':
        return this.#runJob(base);
      case 'drop_job':
        return this.#dropJob(base);
      case 'show_versions':
        return this.#showVersions(base);
      case 'activate_model':
        return this.#activateModel(base);
      case 'describe_data':
        return this.#describeData(base);
      case 'monitor_model':
        return this.#monitorModel(base);
      case 'pass_through':
        return { kind: 'pass_through', ...base };
    }
  }

  /** SHOW VERSIONS name */
  #showVersions(base: Base): ShowVersions {
    this.#next();
    this.#next();
    const name = this.#identifier('model name');
    this.#expectEnd();
    return { kind: 'show_versions', ...base, name };
  }

  /** ACTIVATE MODEL name@v: the version is required. */
  #activateModel(base: Base): ActivateModel {
    this.#next();
    this.#next();
    const ref = this.#modelRef();
    if (ref.version === undefined) this.#expected('@ and a version number', this.#peek());
    this.#expectEnd();
    return { kind: 'activate_model', ...base, name: ref.name, version: ref.version };
  }

  /** DESCRIBE DATA FROM source [PREDICT target] */
  #describeData(base: Base): DescribeData {
    this.#next();
    this.#next();
    this.#expectKeyword('FROM');
    const source = this.#source();
    const target = this.#acceptKeyword('PREDICT') ? this.#identifier('target column') : null;
    this.#expectEnd();
    return { kind: 'describe_data', ...base, source, target };
  }

  /** MONITOR MODEL name[@v] ON source */
  #monitorModel(base: Base): MonitorModel {
    this.#next();
    this.#next();
    const model = this.#modelRef();
    this.#expectKeyword('ON');
    const source = this.#source();
    this.#expectEnd();
    return { kind: 'monitor_model', ...base, model, source };
  }

  // ---- statements -------------------------------------------------------------------

  /** CREATE [OR REPLACE] MODEL [IF NOT EXISTS] ..., or TRAIN MODEL ... */
  #createModel(base: Base, train: boolean): CreateModel {
    this.#next();
    const orReplace = train || this.#acceptKeywords('OR', 'REPLACE');
    this.#expectKeyword('MODEL');
    const ifNotExists = !train && this.#acceptKeywords('IF', 'NOT', 'EXISTS');
    const name = this.#identifier('model name');
    this.#expectKeyword('FROM');
    const source = this.#source();
    this.#expectKeyword('PREDICT');
    const target = this.#identifier('target column');
    const recipe = this.#acceptKeyword('RECIPE') ? this.#recipe() : null;
    const options = this.#acceptKeyword('USING') ? this.#options() : [];
    this.#expectEnd();
    return { kind: 'create_model', ...base, train, orReplace, ifNotExists, name, source, target, recipe, options };
  }

  #retrainModel(base: Base): RetrainModel {
    this.#next();
    this.#expectKeyword('MODEL');
    const model = this.#modelRef();
    const source = this.#acceptKeyword('FROM') ? this.#source() : null;
    const options = this.#acceptKeyword('USING') ? this.#options() : [];
    this.#expectEnd();
    return { kind: 'retrain_model', ...base, model, source, options };
  }

  #evaluateModel(base: Base): EvaluateModel {
    this.#next();
    this.#expectKeyword('MODEL');
    const model = this.#modelRef();
    const source = this.#acceptKeyword('ON') ? this.#source() : null;
    const options = this.#acceptKeyword('USING') ? this.#options() : [];
    this.#expectEnd();
    return { kind: 'evaluate_model', ...base, model, source, options };
  }

  #predict(base: Base): Predict {
    this.#next();
    const model = this.#modelRef();
    this.#expectKeyword('FROM');
    const source = this.#source();
    const into = this.#acceptKeyword('INTO') ? this.#predictInto() : null;
    const options = this.#acceptKeyword('USING') ? this.#options() : [];
    this.#expectEnd();
    return { kind: 'predict', ...base, model, source, into, options };
  }

  /** EXPLAIN PREDICT name FROM source [USING …]: no INTO (nothing is written); PREDICT's options. */
  #explainPredict(base: Base): ExplainPredict {
    this.#next();
    this.#next();
    const model = this.#modelRef();
    this.#expectKeyword('FROM');
    const source = this.#source();
    const options = this.#acceptKeyword('USING') ? this.#options() : [];
    this.#expectEnd();
    return { kind: 'explain_predict', ...base, model, source, options };
  }

  #predictInto(): PredictInto {
    const table = this.#tableName('table name');
    const key: Identifier[] = [];
    if (this.#acceptKeyword('KEY')) {
      do key.push(this.#identifier('column name'));
      while (this.#acceptPunctuation(','));
    }
    const mode = this.#acceptKeyword('APPEND') ? 'append' : 'replace';
    if (mode === 'replace') this.#acceptKeyword('REPLACE');
    return { table, key, mode };
  }

  /** SHOW MODELS, SHOW JOBS: two words and nothing else. */
  #keywordsOnly(): void {
    this.#next();
    this.#next();
    this.#expectEnd();
  }

  #describeModel(base: Base): DescribeModel {
    this.#next();
    this.#next();
    const model = this.#modelRef();
    this.#expectEnd();
    return { kind: 'describe_model', ...base, model };
  }

  /** SHOW WEIGHTS name[@v] */
  #showWeights(base: Base): ShowWeights {
    this.#next();
    this.#next();
    const model = this.#modelRef();
    this.#expectEnd();
    return { kind: 'show_weights', ...base, model };
  }

  /** SHOW TRIALS name[@v] */
  #showTrials(base: Base): ShowTrials {
    this.#next();
    this.#next();
    const model = this.#modelRef();
    this.#expectEnd();
    return { kind: 'show_trials', ...base, model };
  }

  #dropModel(base: Base): DropModel {
    this.#next();
    this.#next();
    const ifExists = this.#acceptKeywords('IF', 'EXISTS');
    const name = this.#identifier('model name');
    this.#expectEnd();
    return { kind: 'drop_model', ...base, ifExists, name };
  }

  /** EXPORT MODEL name[@v] AS FUNCTION [schema.]function_name */
  #exportModel(base: Base): ExportModel {
    this.#next();
    this.#next();
    const model = this.#modelRef();
    this.#expectKeyword('AS');
    this.#expectKeyword('FUNCTION');
    const fn = this.#tableName('function name');
    this.#expectEnd();
    return { kind: 'export_model', ...base, model, function: fn };
  }

  /** CREATE [OR REPLACE] JOB name (SCHEDULE '<cron>' | EVERY '<interval>') AS <statement> */
  #createJob(base: Base): CreateJob {
    this.#next();
    const orReplace = this.#acceptKeywords('OR', 'REPLACE');
    this.#expectKeyword('JOB');
    const name = this.#identifier('job name');
    let schedule: JobSchedule;
    if (this.#acceptKeyword('SCHEDULE')) {
      schedule = { kind: 'cron', expression: this.#string('quoted cron expression') };
    } else if (this.#acceptKeyword('EVERY')) {
      schedule = { kind: 'every', interval: this.#string('quoted interval') };
    } else {
      this.#expected('SCHEDULE or EVERY', this.#peek());
    }
    this.#expectKeyword('AS');
    // The body runs to the end of the statement, so its own end check is ours too.
    const body = this.statement();
    return { kind: 'create_job', ...base, orReplace, name, schedule, body };
  }

  #runJob(base: Base): RunJob {
    this.#next();
    this.#expectKeyword('JOB');
    const name = this.#identifier('job name');
    this.#expectEnd();
    return { kind: 'run_job', ...base, name };
  }

  #dropJob(base: Base): DropJob {
    this.#next();
    this.#next();
    const ifExists = this.#acceptKeywords('IF', 'EXISTS');
    const name = this.#identifier('job name');
    this.#expectEnd();
    return { kind: 'drop_job', ...base, ifExists, name };
  }

  // ---- clauses ----------------------------------------------------------------------

  /** `( <select> )`, kept as the exact text between the parentheses, or a table name. */
  #source(): Source {
    const open = this.#peek();
    if (!this.#isPunctuation(open, '(')) {
      return { kind: 'table', table: this.#tableName('table name or ( <select> )') };
    }
    this.#next();
    let depth = 1;
    let first: Token | null = null;
    let last: Token | null = null;
    for (;;) {
      const token = this.#next();
      if (token.kind === 'eof') {
        throw new SqlSyntaxError(open.start.line, open.start.column, 'closing )', describeToken(token));
      }
      if (this.#isPunctuation(token, '(')) depth++;
      else if (this.#isPunctuation(token, ')') && --depth === 0) {
        if (!first || !last) this.#expected('query', token);
        break;
      }
      first ??= token;
      last = token;
    }
    return { kind: 'query', sql: this.#textFrom(first.start.offset, last.end), position: first.start };
  }

  #tableName(what: string): TableName {
    const first = this.#identifier(what);
    if (!this.#acceptPunctuation('.')) return { name: first };
    return { schema: first, name: this.#identifier('table name') };
  }

  /** `name` or `name@3`. */
  #modelRef(): ModelRef {
    const name = this.#identifier('model name');
    if (!this.#acceptPunctuation('@')) return { name };
    const token = this.#peek();
    const version = Number(token.text);
    if (token.kind !== 'number' || !/^[0-9]+$/.test(token.text) || version < 1 || !Number.isSafeInteger(version)) {
      this.#expected('version number', token);
    }
    this.#next();
    return { name, version };
  }

  /** `RECIPE ( transform [, ...] )`, after RECIPE. */
  #recipe(): Transform[] {
    this.#expectPunctuation('(');
    const transforms = [this.#transform()];
    while (this.#acceptPunctuation(',')) transforms.push(this.#transform());
    this.#expectPunctuation(')', ', or )');
    return transforms;
  }

  /** `name ( arg [, ...] )`; names and arity are the recipe module's to check. */
  #transform(): Transform {
    const name = this.#peek();
    if (name.kind !== 'word' || !this.#isPunctuation(this.#peek(1), '(')) this.#expected('transform', name);
    this.#enter(name);
    this.#next();
    this.#next();
    const args = [this.#transformArg()];
    while (this.#acceptPunctuation(',')) args.push(this.#transformArg());
    this.#expectPunctuation(')', ', or )');
    this.#depth--;
    return { name: name.text.toLowerCase(), args, position: name.start };
  }

  #transformArg(): TransformArg {
    const token = this.#peek();
    if (token.kind === 'word' && this.#isPunctuation(this.#peek(1), '(')) {
      return { kind: 'transform', transform: this.#transform() };
    }
    const number = this.#number();
    if (number) return number;
    if (token.kind === 'string') {
      this.#next();
      return { kind: 'string', value: token.value };
    }
    if (this.#isName(token)) return { kind: 'column', name: this.#identifier('column name') };
    this.#expected('transform argument', token);
  }

  /** `option = value [, ...]`, after USING. */
  #options(): OptionAssignment[] {
    const options: OptionAssignment[] = [];
    const seen = new Set<string>();
    do {
      const token = this.#peek();
      if (token.kind !== 'word' || isReservedWord(token.text)) this.#expected('option name', token);
      this.#next();
      const name = token.text.toLowerCase();
      if (seen.has(name)) {
        throw new SqlSyntaxError(token.start.line, token.start.column, 'each option once', `${name} twice`);
      }
      seen.add(name);
      this.#expectPunctuation('=');
      options.push({ name, value: this.#optionValue(), position: token.start });
    } while (this.#acceptPunctuation(','));
    return options;
  }

  #optionValue(): OptionValue {
    const number = this.#number();
    if (number) return number;
    const token = this.#peek();
    if (token.kind === 'string') {
      this.#next();
      return { kind: 'string', value: token.value };
    }
    if (this.#isKeyword(token, 'TRUE') || this.#isKeyword(token, 'FALSE')) {
      this.#next();
      return { kind: 'boolean', value: this.#isKeyword(token, 'TRUE') };
    }
    if (this.#isName(token)) {
      this.#next();
      return { kind: 'identifier', value: token.value };
    }
    this.#expected('option value', token);
  }

  /** A number literal, with an optional leading minus; null when none starts here. */
  #number(): { kind: 'number'; value: number; text: string } | null {
    let token = this.#peek();
    let sign = '';
    if (this.#isPunctuation(token, '-')) {
      this.#next();
      sign = '-';
      token = this.#peek();
      if (token.kind !== 'number') this.#expected('number', token);
    }
    if (token.kind !== 'number') return null;
    this.#next();
    const text = sign + token.text;
    return { kind: 'number', value: Number(text), text };
  }

  #string(what: string): string {
    const token = this.#peek();
    if (token.kind !== 'string') this.#expected(what, token);
    this.#next();
    return token.value;
  }

  /** A name: an unquoted non-reserved word, or a non-empty quoted identifier. */
  #identifier(what: string): Identifier {
    const token = this.#peek();
    if (!this.#isName(token)) this.#expected(what, token);
    this.#next();
    return { value: token.value, quoted: token.kind === 'quoted_identifier', position: token.start };
  }

  #isName(token: Token): boolean {
    if (token.kind === 'word') return !isReservedWord(token.text);
    return token.kind === 'quoted_identifier' && token.value !== '';
  }

  // ---- primitives -------------------------------------------------------------------

  #peek(ahead = 0): Token {
    while (this.#lookahead.length <= ahead) this.#lookahead.push(this.#tokenizer.next());
    return this.#lookahead[ahead]!;
  }

  #next(): Token {
    const token = this.#peek();
    this.#lookahead.shift();
    return token;
  }

  #isKeyword(token: Token, keyword: Keyword): boolean {
    return token.kind === 'word' && isSameWord(token.text, keyword);
  }

  #isPunctuation(token: Token, char: string): boolean {
    return token.kind === 'punctuation' && token.text === char;
  }

  #acceptKeyword(keyword: Keyword): boolean {
    if (!this.#isKeyword(this.#peek(), keyword)) return false;
    this.#next();
    return true;
  }

  /** Consumes the whole sequence, or nothing when any word of it is missing. */
  #acceptKeywords(...keywords: Keyword[]): boolean {
    if (!keywords.every((keyword, i) => this.#isKeyword(this.#peek(i), keyword))) return false;
    for (let i = 0; i < keywords.length; i++) this.#next();
    return true;
  }

  #acceptPunctuation(char: string): boolean {
    if (!this.#isPunctuation(this.#peek(), char)) return false;
    this.#next();
    return true;
  }

  #expectKeyword(keyword: Keyword): void {
    if (!this.#acceptKeyword(keyword)) this.#expected(keyword, this.#peek());
  }

  #expectPunctuation(char: string, what: string = char): void {
    if (!this.#acceptPunctuation(char)) this.#expected(what, this.#peek());
  }

  #expectEnd(): void {
    const token = this.#peek();
    if (token.kind !== 'eof') this.#expected('end of statement', token);
  }

  /** The one way a parse fails: what the grammar wanted here, and what the text has. */
  #expected(what: string, found: Token): never {
    throw new SqlSyntaxError(found.start.line, found.start.column, what, describeToken(found));
  }

  /** Counts one more level of nesting; past MAX_NESTING the input is refused. */
  #enter(at: Token): void {
    if (++this.#depth > MAX_NESTING) {
      throw new SqlSyntaxError(at.start.line, at.start.column, `at most ${MAX_NESTING} levels of nesting`, 'deeper nesting');
    }
  }

  /** The statement's own text between two script offsets. */
  #textFrom(startOffset: number, endOffset?: number): string {
    const base = this.#origin.offset;
    return this.#text.slice(startOffset - base, endOffset === undefined ? undefined : endOffset - base);
  }
}

/** A token as an error message shows it: its text, on one line, shortened when long. */
function describeToken(token: Token): string {
  if (token.kind === 'eof') return 'end of statement';
  const text = token.text.replace(/\s+/g, ' ');
  return text.length > MAX_FOUND_LENGTH ? `${text.slice(0, MAX_FOUND_LENGTH - 1)}…` : text;
}
