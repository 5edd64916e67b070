import type { ResultTable } from '../../src/data.js';

/** A small metrics result with numbers, text, NULL and a long name: what the formatters are tested on. */
export const metricsResult: ResultTable = {
  command: 'EVALUATE MODEL',
  columns: [
    { name: 'model', type: 'text' },
    { name: 'auc', type: 'double', metric: true },
    { name: 'rows', type: 'bigint' },
    { name: 'note', type: 'text' },
  ],
  rows: [
    ['churn', 0.934871, 6000, null],
    ['fraud_detector', 0.5, 12, 'ok'],
  ],
};
