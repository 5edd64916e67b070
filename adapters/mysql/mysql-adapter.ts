/** Placeholder until the MySQL adapter lands (issue 3): URLs are recognized, opening them says so. */
import type { AdapterFactory } from '../adapter.js';
import { SqlmlError } from '../../src/errors.js';

export const openMySQLAdapter: AdapterFactory = async () => {
  throw new SqlmlError('unsupported', 'the MySQL adapter is not available in this build of sqlml');
};
