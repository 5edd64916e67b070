import { describe, expect, it } from 'vitest';
import type { OptionAssignment, OptionValue } from '../../src/sql/ast.js';
import {
  DEFAULT_OPTIONS,
  checkTuneMetric,
  optionsFromJson,
  optionsToJson,
  resolveEvaluateOptions,
  resolveOptions,
} from '../../src/learn/options.js';
import { errorOf } from '../helpers/errors.js';

const position = { line: 1, column: 1, offset: 0 };

function num(value: number, text = String(value)): OptionValue {
  return { kind: 'number', value, text };
}
function str(value: string): OptionValue {
  return { kind: 'string', value };
}
function word(value: string): OptionValue {
  return { kind: 'identifier', value };
}
function bool(value: boolean): OptionValue {
  return { kind: 'boolean', value };
}
function using(...pairs: [string, OptionValue][]): OptionAssignment[] {
  return pairs.map(([name, value]) => ({ name, value, position }));
}

/** The SqlmlError thrown by `fn`, failing the test when nothing or something else is thrown. */
function rejects(name: string, value: OptionValue, message: string): void {
  const error = errorOf(() => resolveOptions(using([name, value])));
  expect(error.code).toBe('bad_option');
  expect(error.message).toBe(message);
}

describe('resolveOptions', () => {
  it('returns the documented defaults when no option is given', () => {
    expect(resolveOptions([])).toEqual({
      type: null,
      positive: null,
      passes: 10,
      learningRate: null,
      l1: 0,
      l2: null,
      split: 0.7,
      seed: 1,
      shuffle: 'auto',
      threshold: 0.5,
      classWeights: 'none',
      maxModelSize: 100 * 1024 * 1024,
      earlyStopping: true,
      tune: 0,
    });
  });

  it('names every option when one is unknown', () => {
    const error = errorOf(() => resolveOptions(using(['pases', num(3)])));
    expect(error.code).toBe('bad_option');
    expect(error.message).toBe(
      "unknown option 'pases' (options: type, positive, passes, learning_rate, l1, l2, split, seed, shuffle, threshold, class_weights, max_model_size, early_stopping, tune, tune_metric, engine)",
    );
  });

  it('rejects an option given twice', () => {
    expect(errorOf(() => resolveOptions(using(['passes', num(3)], ['PASSES', num(4)]))).message).toBe(
      'option passes is given more than once',
    );
  });

  it('starts from the base options (RETRAIN keeps stored options)', () => {
    const base = resolveOptions(using(['passes', num(3)], ['l2', num(0.01)]));
    const next = resolveOptions(using(['l1', num(0.5)]), base);
    expect(next.passes).toBe(3);
    expect(next.l2).toBe(0.01);
    expect(next.l1).toBe(0.5);
  });

  describe('type', () => {
    it('accepts bare words and strings in any case, and auto', () => {
      expect(resolveOptions(using(['type', word('binary')])).type).toBe('binary');
      expect(resolveOptions(using(['type', str('MultiClass')])).type).toBe('multiclass');
      expect(resolveOptions(using(['type', word('regression')])).type).toBe('regression');
      expect(resolveOptions(using(['type', word('auto')])).type).toBeNull();
    });
    it('rejects anything else', () => {
      rejects('type', str('classification'), "option type must be one of 'binary', 'multiclass', 'regression' or 'auto', got 'classification'");
      rejects('type', num(2), "option type must be one of 'binary', 'multiclass', 'regression' or 'auto', got 2");
    });
  });

  describe('positive', () => {
    it('renders any scalar as canonical text', () => {
      expect(resolveOptions(using(['positive', str('yes')])).positive).toBe('yes');
      expect(resolveOptions(using(['positive', word('Churned')])).positive).toBe('Churned');
      expect(resolveOptions(using(['positive', num(1, '1.0')])).positive).toBe('1');
      expect(resolveOptions(using(['positive', bool(true)])).positive).toBe('true');
    });
  });

  describe('passes', () => {
    it('accepts whole numbers from 1 to 1000, also quoted', () => {
      expect(resolveOptions(using(['passes', num(1)])).passes).toBe(1);
      expect(resolveOptions(using(['passes', num(1000)])).passes).toBe(1000);
      expect(resolveOptions(using(['passes', str('25')])).passes).toBe(25);
    });
    it('rejects words, fractions and out-of-range numbers', () => {
      rejects('passes', str('ten'), "option passes must be a whole number from 1 to 1000, got 'ten'");
      rejects('passes', num(2.5), 'option passes must be a whole number from 1 to 1000, got 2.5');
      rejects('passes', num(0), 'option passes must be a whole number from 1 to 1000, got 0');
      rejects('passes', num(1001), 'option passes must be a whole number from 1 to 1000, got 1001');
      rejects('passes', bool(true), 'option passes must be a whole number from 1 to 1000, got true');
    });
  });

  describe('learning_rate', () => {
    it('accepts a positive number or auto', () => {
      expect(resolveOptions(using(['learning_rate', num(0.05)])).learningRate).toBe(0.05);
      expect(resolveOptions(using(['learning_rate', word('auto')])).learningRate).toBeNull();
    });
    it('rejects zero and negatives', () => {
      rejects('learning_rate', num(0), "option learning_rate must be a number greater than 0 or 'auto', got 0");
      rejects('learning_rate', num(-0.1, '-0.1'), "option learning_rate must be a number greater than 0 or 'auto', got -0.1");
    });
  });

  describe('l1 and l2', () => {
    it('accept zero and positive amounts', () => {
      const o = resolveOptions(using(['l1', num(0)], ['l2', num(1e-4, '1e-4')]));
      expect(o.l1).toBe(0);
      expect(o.l2).toBe(1e-4);
    });
    it('reject negatives and words', () => {
      rejects('l1', num(-1), 'option l1 must be a number of 0 or more, got -1');
      rejects('l2', word('lots'), "option l2 must be a number of 0 or more or 'auto', got 'lots'");
    });
    it("l2 = 'auto' (the default) leaves the amount to the learner", () => {
      expect(resolveOptions(using(['l2', word('auto')])).l2).toBeNull();
      expect(resolveOptions([]).l2).toBeNull();
    });
  });

  describe('tune', () => {
    it('accepts a whole number of trials from 0 (off) to 200', () => {
      expect(resolveOptions(using(['tune', num(20)])).tune).toBe(20);
      expect(resolveOptions(using(['tune', num(0)])).tune).toBe(0);
      expect(resolveOptions([]).tune).toBe(0);
    });
    it('rejects negatives, fractions, too many trials and words, naming the option', () => {
      rejects('tune', num(-1), 'option tune must be a whole number from 0 (no tuning) to 200, got -1');
      rejects('tune', num(2.5), 'option tune must be a whole number from 0 (no tuning) to 200, got 2.5');
      rejects('tune', num(201), 'option tune must be a whole number from 0 (no tuning) to 200, got 201');
      rejects('tune', word('lots'), "option tune must be a whole number from 0 (no tuning) to 200, got 'lots'");
    });
  });

  describe('engine', () => {
    it("accepts 'stream', 'database' and 'auto' in any case, stored only when given", () => {
      expect(resolveOptions(using(['engine', str('Database')])).engine).toBe('database');
      expect(resolveOptions(using(['engine', word('stream')])).engine).toBe('stream');
      expect(resolveOptions([]).engine).toBeUndefined();
      expect('engine' in optionsToJson(DEFAULT_OPTIONS)).toBe(false);
      const given = resolveOptions(using(['engine', str('auto')]));
      expect(optionsToJson(given).engine).toBe('auto');
      expect(optionsFromJson(JSON.parse(JSON.stringify(optionsToJson(given))))).toEqual(given);
    });
    it('rejects anything else, naming the option and its values', () => {
      rejects('engine', str('gpu'), "option engine must be 'stream', 'database' or 'auto', got 'gpu'");
      rejects('engine', num(1), "option engine must be 'stream', 'database' or 'auto', got 1");
    });
  });

  describe('tune_metric', () => {
    it('accepts the metric names, stored only when given', () => {
      expect(resolveOptions(using(['tune_metric', str('F1')])).tuneMetric).toBe('f1');
      expect(resolveOptions(using(['tune_metric', word('macro_f1')])).tuneMetric).toBe('macro_f1');
      expect(resolveOptions([]).tuneMetric).toBeUndefined();
      expect('tune_metric' in optionsToJson(DEFAULT_OPTIONS)).toBe(false);
      const given = resolveOptions(using(['tune', num(5)], ['tune_metric', str('r2')]));
      expect(optionsToJson(given).tune_metric).toBe('r2');
      expect(optionsFromJson(JSON.parse(JSON.stringify(optionsToJson(given))))).toEqual(given);
    });
    it('rejects other words and numbers, listing the metrics per model type', () => {
      const accepted =
        "one of 'auc', 'log_loss', 'f1', 'accuracy', 'macro_f1', 'rmse', 'mae', 'r2' (binary: auc, log_loss, f1, accuracy; multiclass: accuracy, macro_f1, log_loss; regression: rmse, mae, r2)";
      rejects('tune_metric', str('precision'), `option tune_metric must be ${accepted}, got 'precision'`);
      rejects('tune_metric', num(1), `option tune_metric must be ${accepted}, got 1`);
    });
    it('checks the metric against the model type', () => {
      expect(() => checkTuneMetric('auc', 'binary')).not.toThrow();
      expect(errorOf(() => checkTuneMetric('macro_f1', 'binary')).message).toBe(
        "option tune_metric must be one of 'auc', 'log_loss', 'f1', 'accuracy' for a binary model, got 'macro_f1'",
      );
      expect(errorOf(() => checkTuneMetric('f1', 'regression')).message).toBe("option tune_metric must be one of 'rmse', 'mae', 'r2' for a regression model, got 'f1'");
    });
  });

  describe('split', () => {
    it("accepts a fraction strictly between 0 and 1, or 'none'", () => {
      expect(resolveOptions(using(['split', num(0.8)])).split).toBe(0.8);
      expect(resolveOptions(using(['split', word('none')])).split).toBeNull();
      expect(resolveOptions(using(['split', str('NONE')])).split).toBeNull();
    });
    it('rejects 0, 1 and beyond', () => {
      const message = (got: string) => `option split must be a fraction between 0 and 1 (exclusive) or 'none', got ${got}`;
      rejects('split', num(0), message('0'));
      rejects('split', num(1), message('1'));
      rejects('split', num(70), message('70'));
      rejects('split', word('half'), message("'half'"));
    });
  });

  describe('seed', () => {
    it('accepts any whole number', () => {
      expect(resolveOptions(using(['seed', num(42)])).seed).toBe(42);
      expect(resolveOptions(using(['seed', num(-7)])).seed).toBe(-7);
    });
    it('rejects fractions', () => {
      rejects('seed', num(1.5), 'option seed must be a whole number, got 1.5');
    });
  });

  describe('shuffle', () => {
    it('accepts auto / none and booleans', () => {
      expect(resolveOptions(using(['shuffle', word('none')])).shuffle).toBe('none');
      expect(resolveOptions(using(['shuffle', str('auto')])).shuffle).toBe('auto');
      expect(resolveOptions(using(['shuffle', bool(false)])).shuffle).toBe('none');
    });
    it('rejects other words', () => {
      rejects('shuffle', word('random'), "option shuffle must be 'auto' or 'none', got 'random'");
    });
  });

  describe('threshold', () => {
    it('accepts 0 to 1 inclusive', () => {
      expect(resolveOptions(using(['threshold', num(0)])).threshold).toBe(0);
      expect(resolveOptions(using(['threshold', num(1)])).threshold).toBe(1);
      expect(resolveOptions(using(['threshold', num(0.35)])).threshold).toBe(0.35);
    });
    it('rejects values outside', () => {
      rejects('threshold', num(1.2), 'option threshold must be a number from 0 to 1, got 1.2');
    });
  });

  describe('class_weights', () => {
    it('accepts none and balanced', () => {
      expect(resolveOptions(using(['class_weights', word('balanced')])).classWeights).toBe('balanced');
      expect(resolveOptions(using(['class_weights', str('none')])).classWeights).toBe('none');
    });
    it('rejects other values', () => {
      rejects('class_weights', word('auto'), "option class_weights must be 'none' or 'balanced', got 'auto'");
    });
  });

  describe('max_model_size', () => {
    it('reads sizes with binary units and plain byte counts', () => {
      expect(resolveOptions(using(['max_model_size', str('100MB')])).maxModelSize).toBe(104_857_600);
      expect(resolveOptions(using(['max_model_size', str('512KB')])).maxModelSize).toBe(524_288);
      expect(resolveOptions(using(['max_model_size', str('1gb')])).maxModelSize).toBe(1_073_741_824);
      expect(resolveOptions(using(['max_model_size', str('1.5 MB')])).maxModelSize).toBe(1_572_864);
      expect(resolveOptions(using(['max_model_size', num(2_000_000)])).maxModelSize).toBe(2_000_000);
    });
    it('rejects malformed and out-of-range sizes', () => {
      const message = (got: string) =>
        `option max_model_size must be a size from '100KB' to '2GB' (a number of bytes, or with a KB, MB or GB suffix), got ${got}`;
      rejects('max_model_size', str('lots'), message("'lots'"));
      rejects('max_model_size', str('10KB'), message("'10KB'"));
      rejects('max_model_size', str('3GB'), message("'3GB'"));
      rejects('max_model_size', num(1.5), message('1.5'));
    });
  });

  describe('early_stopping', () => {
    it('accepts booleans, quoted booleans and on/off', () => {
      expect(resolveOptions(using(['early_stopping', bool(false)])).earlyStopping).toBe(false);
      expect(resolveOptions(using(['early_stopping', str('false')])).earlyStopping).toBe(false);
      expect(resolveOptions(using(['early_stopping', word('on')])).earlyStopping).toBe(true);
    });
    it('rejects other values', () => {
      rejects('early_stopping', str('maybe'), "option early_stopping must be true or false, got 'maybe'");
      rejects('early_stopping', num(2), 'option early_stopping must be true or false, got 2');
    });
  });
});

describe('resolveEvaluateOptions', () => {
  it('has no threshold unless given', () => {
    expect(resolveEvaluateOptions([])).toEqual({ threshold: null });
  });
  it('accepts threshold', () => {
    expect(resolveEvaluateOptions(using(['threshold', num(0.6)]))).toEqual({ threshold: 0.6 });
  });
  it('rejects training options and unknown options by name', () => {
    const training = errorOf(() => resolveEvaluateOptions(using(['passes', num(3)])));
    expect(training.code).toBe('bad_option');
    expect(training.message).toBe('option passes is not accepted by EVALUATE MODEL (options: threshold)');
    expect(errorOf(() => resolveEvaluateOptions(using(['cutoff', num(3)]))).message).toBe(
      "unknown option 'cutoff' is not accepted by EVALUATE MODEL (options: threshold)",
    );
  });
  it('validates the threshold range', () => {
    expect(errorOf(() => resolveEvaluateOptions(using(['threshold', num(-1)]))).message).toBe(
      'option threshold must be a number from 0 to 1, got -1',
    );
  });
});

describe('optionsToJson / optionsFromJson', () => {
  it('writes snake_case keys with readable automatic values', () => {
    expect(optionsToJson(DEFAULT_OPTIONS)).toEqual({
      type: 'auto',
      positive: null,
      passes: 10,
      learning_rate: 'auto',
      l1: 0,
      l2: 'auto',
      split: 0.7,
      seed: 1,
      shuffle: 'auto',
      threshold: 0.5,
      class_weights: 'none',
      max_model_size: '100MB',
      early_stopping: true,
      tune: 0,
    });
  });

  it('round-trips every option through JSON text', () => {
    const options = resolveOptions(
      using(
        ['type', word('binary')],
        ['positive', str('yes')],
        ['passes', num(7)],
        ['learning_rate', num(0.3)],
        ['l1', num(0.001)],
        ['l2', num(0.002)],
        ['split', word('none')],
        ['seed', num(99)],
        ['shuffle', word('none')],
        ['threshold', num(0.4)],
        ['class_weights', word('balanced')],
        ['max_model_size', num(1_000_001)],
        ['early_stopping', bool(false)],
      ),
    );
    const back = optionsFromJson(JSON.parse(JSON.stringify(optionsToJson(options))));
    expect(back).toEqual(options);
  });

  it('validates stored values like USING does', () => {
    expect(errorOf(() => optionsFromJson({ passes: 0 })).message).toBe(
      'option passes must be a whole number from 1 to 1000, got 0',
    );
    expect(errorOf(() => optionsFromJson([])).message).toBe('stored model options are not a JSON object');
  });
});
