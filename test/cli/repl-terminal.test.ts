/**
 * The REPL in a real terminal (tmux), typed into as a person would: backslash commands,
 * a statement over several lines, expanded display, tab completion of a model name,
 * Ctrl-C on a statement being typed and on one running, and the history recalled in a
 * second run. Every step waits for what it expects on the screen, never for a fixed time.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { TmuxPane, tmuxAvailable } from '../helpers/tmux.js';

const available = tmuxAvailable();
if (!available && process.env.CI === 'true') throw new Error('tmux is not installed; under CI=true the terminal test must run');
if (!available) console.warn('skipping the REPL terminal test: tmux is not installed');

const STEP_MS = 120_000;

describe.skipIf(!available)('the REPL in a terminal', () => {
  let dir: string;
  const panes: TmuxPane[] = [];

  const start = (database: string, columns = 100): TmuxPane => {
    const pane = new TmuxPane({
      command: [process.execPath, '--import', 'tsx', resolve(repoRoot, 'test/helpers/cli-entry.ts'), '--db', `duckdb:${join(dir, database)}`],
      cwd: repoRoot,
      env: { HOME: dir, SQLML_HISTORY: '', SQLML_PROGRESS: 'off', SQLML_DB: '' },
      dir,
      columns,
    });
    panes.push(pane);
    return pane;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlml-repl-'));
  });
  afterAll(() => {
    for (const pane of panes) pane.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs backslash commands, a multi-line CREATE MODEL, completion, Ctrl-C, and keeps the history for the next run', { timeout: 15 * STEP_MS }, async () => {
    const pane = start('repl.duckdb');
    await pane.waitFor(/sqlml on duckdb\. .*\n.*sqlml>$/s, { timeoutMs: STEP_MS });

    await pane.expect(
      () => pane.line("CREATE TABLE accounts AS SELECT i AS id, i % 7 AS visits, (i % 5) * 1.5 AS spend, (i % 7) + (i % 5) > 6 AS churned FROM range(400) t(i);"),
      /\n.*sqlml>$/,
      STEP_MS,
    );
    expect(await pane.expect(() => pane.line('\\timing'), /Timing is on\./)).toContain('Timing is on.');
    const select = await pane.expect(() => pane.line('SELECT 3.14159265::DOUBLE AS pi;'), /Time: [\d.]+ ms/, STEP_MS);
    expect(select).toMatch(/ 3\.14159265\n\(1 row\)/);
    await pane.expect(() => pane.line('\\timing off'), /Timing is off\./);

    const tables = await pane.expect(() => pane.line('\\dt'), /\(\d+ rows?\)/, STEP_MS);
    expect(tables).toMatch(/ main +\| accounts +\| BASE TABLE/);
    const columns = await pane.expect(() => pane.line('\\d accounts'), /\(4 rows\)/, STEP_MS);
    expect(columns).toMatch(/spend +\| DECIMAL/);

    // A statement over three lines: the continuation prompt, then one result.
    await pane.expect(() => pane.line('CREATE MODEL churn_model'), /\.\.\.>$/);
    await pane.expect(() => pane.line('FROM (SELECT visits, spend, churned FROM accounts)'), /\.\.\.>$/);
    // Its result row is wider than 100 columns: \x auto shows it one field per line.
    const created = await pane.expect(() => pane.line('PREDICT churned;'), /\nsqlml>$/, STEP_MS);
    expect(created).toMatch(/-\[ RECORD 1 \]-*\+-+\nmodel +\| churn_model\n/);
    expect(created).toMatch(/\nauc +\| [\d.]+\n/);

    // A backslash command inside a statement being typed leaves the statement as it was.
    await pane.expect(() => pane.line('SELECT 7'), /\.\.\.>$/);
    await pane.expect(() => pane.line('\\frobnicate'), /error: unknown command \\frobnicate.*\n.*\.\.\.>$/);
    expect(await pane.expect(() => pane.line('AS seven;'), /\(1 row\)/, STEP_MS)).toMatch(/ seven\n-+\n +7\n/);

    // \x on: one field per line, under psql's record headers.
    await pane.expect(() => pane.line('\\x on'), /Expanded display is on\./);
    const expanded = await pane.expect(() => pane.line('SHOW MODELS;'), /\nsqlml>$/, STEP_MS);
    expect(expanded).toMatch(/-\[ RECORD 1 \]-*\+-+\nname +\| churn_model\nversion +\| 1\n/);
    await pane.expect(() => pane.line('\\x auto'), /Expanded display is used automatically\./);

    // Tab completes the model's name from the catalog.
    pane.type('DESCRIBE MODEL churn_m');
    pane.press('Tab');
    await pane.waitFor(/DESCRIBE MODEL churn_model$/, { timeoutMs: STEP_MS });
    const described = await pane.expect(() => pane.line(';'), /\(\d+ rows\)/, STEP_MS);
    expect(described).toMatch(/churned/);

    // Ctrl-C forgets the statement being typed...
    await pane.expect(() => pane.line("SELECT 'never run"), /\.\.\.>$/);
    await pane.expect(() => pane.press('C-c'), /\^C\nsqlml>$/);
    const answer = await pane.expect(() => pane.line('SELECT 42 AS answer;'), /\(1 row\)/, STEP_MS);
    expect(answer).toMatch(/ answer\n-+\n +42\n/);
    // ...and cancels a running one, the session going on.
    const before = pane.screen().length;
    pane.line('SELECT count(*) FROM range(100000) a, range(100000) b WHERE (a.range * b.range) % 7919 = 1;');
    await pane.waitFor(/% 7919 = 1;$/, { after: before, timeoutMs: STEP_MS });
    // The statement runs for minutes. A Ctrl-C that reaches the REPL before the statement has
    // started only clears an empty line, so it is pressed again until the cancel shows.
    const cancelled = /error: .*cancel/i;
    for (let presses = 0; !cancelled.test(pane.screen().slice(before)); presses++) {
      if (presses > 50) throw new Error(`Ctrl-C never cancelled the statement:\n${pane.screen()}`);
      pane.press('C-c');
      await pane.waitFor(cancelled, { after: before, timeoutMs: 3_000 }).catch(() => undefined);
    }
    await pane.expect(() => pane.line('SELECT 1 AS still_here;'), /still_here\n-+\n +1\n/, STEP_MS);

    // SQLML_REPL_TRANSCRIPT=file keeps the session's screen, for a person to read.
    if (process.env.SQLML_REPL_TRANSCRIPT) writeFileSync(process.env.SQLML_REPL_TRANSCRIPT, `${pane.screen()}\n`);
    pane.line('\\q');
    await pane.waitFor(() => pane.exited(), { timeoutMs: STEP_MS });

    // The history: one entry per statement (the three-line CREATE MODEL is one), in ~/.sqlml_history.
    const history = readFileSync(join(dir, '.sqlml_history'), 'utf8').split('\n');
    expect(history).toContain('CREATE MODEL churn_model\\nFROM (SELECT visits, spend, churned FROM accounts)\\nPREDICT churned;');
    expect(history).toContain('SELECT 42 AS answer;');
    // A backslash is escaped in the file (line breaks are \n).
    expect(history.at(-2)).toBe('\\\\q');

    // A second run recalls it: Up twice passes \q and brings back the last statement.
    const again = start('repl.duckdb');
    await again.waitFor(/sqlml on duckdb\. .*\n.*sqlml>$/s, { timeoutMs: STEP_MS });
    again.press('Up');
    await again.waitFor(/sqlml> \\q$/, { timeoutMs: STEP_MS });
    again.press('Up');
    await again.waitFor(/sqlml> SELECT 1 AS still_here;$/, { timeoutMs: STEP_MS });
    const recalled = await again.expect(() => again.press('Enter'), /still_here\n-+\n +1\n/, STEP_MS);
    expect(recalled).toContain('(1 row)');
    again.line('\\q');
    await again.waitFor(() => again.exited(), { timeoutMs: STEP_MS });
  });

  it('shows a row wider than the terminal one field per line (\\x auto)', { timeout: 3 * STEP_MS }, async () => {
    const pane = start('wide.duckdb', 60);
    await pane.waitFor(/sqlml on duckdb\. .*\n.*sqlml>$/s, { timeoutMs: STEP_MS });
    const narrow = await pane.expect(() => pane.line('SELECT 1 AS a, 2 AS b;'), /\(1 row\)/, STEP_MS);
    expect(narrow).toMatch(/ a \| b\n/);
    const wide = await pane.expect(
      () => pane.line("SELECT 'a fairly long piece of text' AS description, 123456789.125 AS amount, 'another long value here' AS note;"),
      /\nsqlml>$/,
      STEP_MS,
    );
    if (process.env.SQLML_REPL_TRANSCRIPT) writeFileSync(`${process.env.SQLML_REPL_TRANSCRIPT}.wide`, `${pane.screen()}\n`);
    expect(wide).toMatch(/-\[ RECORD 1 \]-*\+-+\ndescription \| a fairly long piece of text\namount      \| 123456789\.125\nnote        \| another long value here/);
    pane.line('\\q');
  });
});
