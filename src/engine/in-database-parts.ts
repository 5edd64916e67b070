/**
 * The profile and the objective as aggregate queries, as train-in-database.ts asks for
 * them: src/engine/profile-in-database.ts; the objective (src/compile/objective-sql.ts,
 * src/engine/database-objective.ts) is not in this build yet.
 */
import { SqlmlError } from '../errors.js';
import { profileInDatabase } from './profile-in-database.js';
import type { InDatabaseParts } from './train-in-database.js';

const missing = (): never => {
  throw new SqlmlError('unsupported', "training in the database (USING engine = 'database') is not available in this build: its objective is missing");
};

export const IN_DATABASE_PARTS: InDatabaseParts = {
  profile: profileInDatabase,
  objectiveReason: () => missing(),
  finish: async () => missing(),
};
