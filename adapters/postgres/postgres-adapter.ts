/** Placeholder until the Postgres adapter lands (issue 3): URLs are recognized, opening them says so. */
import type { AdapterFactory } from '../adapter.js';
import { SqlmlError } from '../../src/errors.js';

export const openPostgresAdapter: AdapterFactory = async () => {
  throw new SqlmlError('unsupported', 'the Postgres adapter is not available in this build of sqlml');
};
