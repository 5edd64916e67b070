/**
 * Statement tree → canonical text: keywords upper-case, single spaces, names quoted only
 * when a bare word would not read back as the same name, query sources verbatim.
 * Parsing the output gives back an equal tree (positions and `text` aside).
 */
import type {
  Identifier,
  ModelRef,
  OptionAssignment,
  OptionValue,
  Source,
  Statement,
  TableName,
  Transform,
  TransformArg,
} from './ast.js';
import { isReservedWord } from './keywords.js';
import { STANDARD_SPELLING, type SqlSpelling } from './spelling.js';
import { Tokenizer } from './tokenizer.js';

/**
 * Canonical text of `statement`, lexed and quoted as `spelling` says (a database's
 * dialect object, or the standard spelling); a pass-through statement prints its text.
 */
export function toSql(statement: Statement, spelling: SqlSpelling = STANDARD_SPELLING): string {
  return new Printer(spelling).statement(statement);
}

class Printer {
  readonly #spelling: SqlSpelling;

  constructor(spelling: SqlSpelling) {
    this.#spelling = spelling;
  }

  statement(s: Statement): string {
    switch (s.kind) {
      case 'create_model': {
        const head = s.train
          ? 'TRAIN MODEL'
          : `CREATE${s.orReplace ? ' OR REPLACE' : ''} MODEL${s.ifNotExists ? ' IF NOT EXISTS' : ''}`;
        return [
          `${head} ${this.#name(s.name)} FROM ${this.#source(s.source)} PREDICT ${this.#name(s.target)}`,
          s.recipe ? ` RECIPE (${s.recipe.map((t) => this.#transform(t)).join(', ')})` : '',
          this.#options(s.options),
        ].join('');
      }
      case 'retrain_model':
        return [
          `RETRAIN MODEL ${this.#modelRef(s.model)}`,
          s.source ? ` FROM ${this.#source(s.source)}` : '',
          this.#options(s.options),
        ].join('');
      case 'evaluate_model':
        return [
          `EVALUATE MODEL ${this.#modelRef(s.model)}`,
          s.source ? ` ON ${this.#source(s.source)}` : '',
          this.#options(s.options),
        ].join('');
      case 'predict': {
        const text = `PREDICT ${this.#modelRef(s.model)} FROM ${this.#source(s.source)}`;
        if (!s.into) return `${text}${this.#options(s.options)}`;
        const key = s.into.key.length > 0 ? ` KEY ${s.into.key.map((k) => this.#name(k)).join(', ')}` : '';
        // REPLACE is the default mode, so the canonical text leaves it out.
        return `${text} INTO ${this.#table(s.into.table)}${key}${s.into.mode === 'append' ? ' APPEND' : ''}${this.#options(s.options)}`;
      }
      case 'explain_predict':
        return `EXPLAIN PREDICT ${this.#modelRef(s.model)} FROM ${this.#source(s.source)}${this.#options(s.options)}`;
      case 'show_models':
        return 'SHOW MODELS';
      case 'describe_model':
        return `DESCRIBE MODEL ${this.#modelRef(s.model)}`;
      case 'show_weights':
        return `SHOW WEIGHTS ${this.#modelRef(s.model)}`;
      case 'drop_model':
        return `DROP MODEL ${s.ifExists ? 'IF EXISTS ' : ''}${this.#name(s.name)}`;
      case 'export_model':
        return `EXPORT MODEL ${this.#modelRef(s.model)} AS FUNCTION ${this.#table(s.function)}`;
      case 'create_job': {
        const schedule =
          s.schedule.kind === 'cron'
            ? `SCHEDULE ${this.#string(s.schedule.expression)}`
            : `EVERY ${this.#string(s.schedule.interval)}`;
        const head = `CREATE${s.orReplace ? ' OR REPLACE' : ''} JOB ${this.#name(s.name)}`;
        return `${head} ${schedule} AS ${this.statement(s.body)}`;
      }
      case 'show_jobs':
        return 'SHOW JOBS';
      case 'show_trials':
        return `SHOW TRIALS ${this.#modelRef(s.model)}`;
      case 'run_job':
        return `RUN JOB ${this.#name(s.name)}`;
      case 'drop_job':
        return `DROP JOB ${s.ifExists ? 'IF EXISTS ' : ''}${this.#name(s.name)}`;
      case 'show_versions':
        return `SHOW VERSIONS ${this.#name(s.name)}`;
      case 'activate_model':
        return `ACTIVATE MODEL ${this.#modelRef({ name: s.name, version: s.version })}`;
      case 'describe_data':
        return `DESCRIBE DATA FROM ${this.#source(s.source)}${s.target ? ` PREDICT ${this.#name(s.target)}` : ''}`;
      case 'monitor_model':
        return `MONITOR MODEL ${this.#modelRef(s.model)} ON ${this.#source(s.source)}`;
      case 'pass_through':
        return s.text;
    }
  }

  #source(source: Source): string {
    if (source.kind === 'table') return this.#table(source.table);
    // A query that ends in a line comment would swallow the `)`: end it on a new line.
    return `(${source.sql}${this.#endsInComment(source.sql) ? '\n' : ''})`;
  }

  /** True when text follows the last token (a comment), or the text does not even lex. */
  #endsInComment(sql: string): boolean {
    try {
      const tokenizer = new Tokenizer(sql, this.#spelling.lexical);
      let end = 0;
      for (let token = tokenizer.next(); token.kind !== 'eof'; token = tokenizer.next()) end = token.end;
      return end < sql.trimEnd().length;
    } catch {
      return true;
    }
  }

  #table(table: TableName): string {
    return table.schema ? `${this.#name(table.schema)}.${this.#name(table.name)}` : this.#name(table.name);
  }

  #modelRef(ref: ModelRef): string {
    return ref.version === undefined ? this.#name(ref.name) : `${this.#name(ref.name)}@${ref.version}`;
  }

  /** A quoted name stays quoted (its case is exact); a bare one is quoted only if it must be. */
  #name(id: Identifier): string {
    return !id.quoted && this.#isBareWord(id.value) && !isReservedWord(id.value) ? id.value : this.#quote(id.value);
  }

  #quote(value: string): string {
    return this.#spelling.quoteIdent(value);
  }

  /** True when `value` reads back as exactly one unquoted word. */
  #isBareWord(value: string): boolean {
    if (value === '') return false;
    try {
      const token = new Tokenizer(value, this.#spelling.lexical).next();
      return token.kind === 'word' && token.text === value;
    } catch {
      return false;
    }
  }

  #string(value: string): string {
    return this.#spelling.quoteString(value);
  }

  #options(options: readonly OptionAssignment[]): string {
    if (options.length === 0) return '';
    return ` USING ${options.map((o) => `${o.name} = ${this.#optionValue(o.value)}`).join(', ')}`;
  }

  #optionValue(value: OptionValue): string {
    switch (value.kind) {
      case 'number':
        return value.text;
      case 'string':
        return this.#string(value.value);
      case 'boolean':
        return value.value ? 'TRUE' : 'FALSE';
      case 'identifier': {
        const upper = value.value.toUpperCase();
        const bare = this.#isBareWord(value.value) && !isReservedWord(value.value) && upper !== 'TRUE' && upper !== 'FALSE';
        return bare ? value.value : this.#quote(value.value);
      }
    }
  }

  #transform(transform: Transform): string {
    return `${transform.name}(${transform.args.map((a) => this.#transformArg(a)).join(', ')})`;
  }

  #transformArg(arg: TransformArg): string {
    switch (arg.kind) {
      case 'column':
        return this.#name(arg.name);
      case 'number':
        return arg.text;
      case 'string':
        return this.#string(arg.value);
      case 'transform':
        return this.#transform(arg.transform);
    }
  }
}
