/**
 * The profile and the objective as aggregate queries, as train-in-database.ts asks for
 * them (src/engine/profile-in-database.ts, src/compile/objective-sql.ts,
 * src/engine/database-objective.ts).
 */
import { SqlmlError } from '../errors.js';
import type { InDatabaseParts } from './train-in-database.js';

const missing = (): never => {
  throw new SqlmlError('unsupported', "training in the database (USING engine = 'database') is not available in this build");
};

export const IN_DATABASE_PARTS: InDatabaseParts = {
  profile: async () => missing(),
  objectiveReason: () => missing(),
  finish: async () => missing(),
};
