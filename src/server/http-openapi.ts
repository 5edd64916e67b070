/**
 * The OpenAPI 3.1 description of the HTTP API, served at /openapi.json. Hand-written,
 * so it reads as documentation; test/server/http.test.ts checks it lists every route.
 */

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable code: syntax, bad_option, bad_column, database, unknown_model, model_exists, bad_record, …' },
        message: { type: 'string', description: 'One sentence naming the thing at fault' },
      },
    },
  },
};

const jsonError = (description: string): Record<string, unknown> => ({ description, content: { 'application/json': { schema: errorSchema } } });

const resultSchema = {
  type: 'object',
  description: 'One statement result: the object `sqlml --json` prints for it, with the column types',
  required: ['command', 'columns', 'rows'],
  properties: {
    command: { type: 'string', description: 'The statement tag: SELECT, CREATE MODEL, PREDICT, …' },
    columns: { type: 'array', items: { type: 'string' }, description: 'Column names in order; a repeated name gets a _2, _3… suffix' },
    types: {
      type: 'array',
      items: { type: 'string', enum: ['boolean', 'integer', 'bigint', 'double', 'decimal', 'text', 'date', 'timestamp', 'other'] },
      description: "Each column's type, in order (not in the --json line)",
    },
    metrics: { type: 'array', items: { type: 'boolean' }, description: "Per column, whether it is sqlml's own figure (a metric a reader may round); present only when one is" },
    notices: { type: 'array', items: { type: 'string' }, description: "Warnings that did not stop the statement (CREATE MODEL's data alerts)" },
    rows: { type: 'array', items: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } } },
    rowsAffected: { type: 'integer' },
  },
};

const nameParameter = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'The model name as stored (unquoted names are lower case)' };

const clientErrors = {
  '400': jsonError('Bad JSON, or a body of the wrong shape'),
  '401': jsonError('Missing or wrong token (Authorization: Bearer <token>, or the sqlml_token cookie)'),
  '413': jsonError('The body is larger than the server accepts (10 MB unless configured)'),
  '415': jsonError('The body is not application/json'),
};

const record = { type: 'object', description: 'Input column → value; a missing field is NULL, unknown fields are ignored', additionalProperties: true };
/** With `explain`: the terms of the linear score (see docs/explain.md). */
const explanation = {
  type: 'array',
  items: {
    type: 'object',
    required: ['feature', 'value', 'contribution'],
    properties: { feature: { type: 'string' }, value: { type: ['string', 'null'] }, contribution: { type: 'number' } },
  },
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'sqlml',
      version: '0.1.0',
      description: 'Machine learning in SQL, where the data already is: run statements, get real-time predictions, inspect models.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Needed when the server runs with --token / SQLML_TOKEN' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'sqlml_token', description: 'Set by opening any page with ?token=<token>' },
      },
      schemas: { Error: errorSchema, Result: resultSchema },
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths: {
      '/v1/query': {
        post: {
          summary: 'Run one or more statements: sqlml statements and SQL for the database',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['sql'], properties: { sql: { type: 'string' } } } } },
          },
          responses: {
            '200': {
              description: 'One result per statement, in order',
              content: { 'application/json': { schema: { type: 'object', properties: { results: { type: 'array', items: resultSchema } } } } },
            },
            ...clientErrors,
            '400': {
              description:
                'A statement failed (syntax, option, column, table, or an error from the database). The statements after it did not run; those before it did.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: {
                          code: { type: 'string' },
                          message: { type: 'string' },
                          statement: { type: 'integer', description: '0-based index of the failing statement (= the number of results)' },
                          results: { type: 'array', items: resultSchema, description: 'Results of the statements that ran before it' },
                        },
                      },
                    },
                  },
                },
              },
            },
            '404': jsonError('A statement names a model that does not exist (same body as 400)'),
            '409': jsonError('CREATE MODEL of a model that exists (same body as 400)'),
            '422': jsonError('Training found nothing to learn from (same body as 400)'),
            '503': jsonError('The database does not answer'),
          },
        },
      },
      '/v1/models/{name}/predict': {
        post: {
          summary: 'The real-time endpoint: predictions for one record or many, with the active version of the model',
          parameters: [nameParameter],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    {
                      type: 'object',
                      required: ['records'],
                      properties: {
                        records: { type: 'array', items: record },
                        explain: {
                          oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', enum: ['all'] }],
                          description: 'Adds `explanation` to each prediction: the k largest terms of the linear score (or all), then the bias',
                        },
                      },
                    },
                    { type: 'array', items: record },
                    record,
                  ],
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'One prediction per record, in order',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['model', 'version', 'predictions'],
                    properties: {
                      model: { type: 'string' },
                      version: { type: 'integer', description: 'The version that made these predictions' },
                      predictions: {
                        type: 'array',
                        items: {
                          oneOf: [
                            {
                              type: 'object',
                              description: 'Classification',
                              properties: { predicted_label: { type: ['string', 'number', 'boolean'] }, score: { type: 'number' }, explanation },
                            },
                            { type: 'object', description: 'Regression', properties: { predicted_value: { type: 'number' }, explanation } },
                          ],
                        },
                      },
                    },
                  },
                },
              },
            },
            ...clientErrors,
            '400': {
              description: 'A record the model cannot read: error.record (0-based) and error.field name it',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      error: {
                        type: 'object',
                        properties: { code: { const: 'bad_record' }, message: { type: 'string' }, record: { type: 'integer' }, field: { type: ['string', 'null'] } },
                      },
                    },
                  },
                },
              },
            },
            '404': jsonError('No such model'),
          },
        },
      },
      '/v1/models': {
        get: {
          summary: 'SHOW MODELS: every model with its active version and headline metric',
          responses: { '200': { description: 'The models', content: { 'application/json': { schema: resultSchema } } }, '401': clientErrors['401'] },
        },
      },
      '/v1/models/{name}': {
        get: {
          summary: 'DESCRIBE MODEL as JSON: the active version, its options, recipe, training statistics (with the loss curve) and evaluation',
          parameters: [nameParameter],
          responses: {
            '200': {
              description: 'The model',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      version: { type: 'integer' },
                      type: { enum: ['binary', 'multiclass', 'regression'] },
                      target: { type: 'string' },
                      labels: { type: ['object', 'null'] },
                      created_at: { type: 'string' },
                      source: { type: 'string' },
                      inputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' }, db_type: { type: 'string' } } } },
                      options: { type: 'object' },
                      recipe: { type: 'array', items: { type: 'string' }, description: 'One line per feature, as DESCRIBE MODEL shows it' },
                      training: { type: 'object', description: 'Rows, passes, timings and curve: [{pass, train_loss, validation_loss}]' },
                      evaluation: { type: ['object', 'null'], properties: { metrics: { type: 'object' }, details: { type: 'object' } } },
                    },
                  },
                },
              },
            },
            '401': clientErrors['401'],
            '404': jsonError('No such model'),
          },
        },
      },
      '/v1/syntax': {
        get: {
          summary: "How /v1/query cuts a script into statements: the database's lexical rules (quotes, escapes, comments), which `sqlml --server` splits its prompt's input by",
          responses: {
            '200': {
              description: 'The dialect and its rules',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['dialect', 'lexical'],
                    properties: {
                      dialect: { enum: ['duckdb', 'postgres', 'mysql'] },
                      lexical: {
                        type: 'object',
                        properties: {
                          identifierQuote: { enum: ['"', '`'], description: 'The character that quotes names' },
                          doubleQuotedStrings: { type: 'boolean', description: '"..." is a string (MySQL)' },
                          backslashEscapes: { type: 'boolean', description: "A backslash escapes the next character in '...' and \"...\" (MySQL unless NO_BACKSLASH_ESCAPES)" },
                          escapeStrings: { type: 'boolean', description: "E'...' strings with backslash escapes" },
                          dollarQuotes: { type: 'boolean', description: '$$...$$ and $tag$...$tag$ bodies' },
                          hashComments: { type: 'boolean', description: '# starts a line comment' },
                          nestedBlockComments: { type: 'boolean', description: 'Block comments nest' },
                          dashCommentNeedsSpace: { type: 'boolean', description: '-- starts a comment only before whitespace' },
                          executableComments: { type: 'boolean', description: '/*!...*/ is executed, not a comment' },
                        },
                      },
                    },
                  },
                },
              },
            },
            '401': clientErrors['401'],
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'The server answers and so does its database',
          responses: {
            '200': { description: 'Healthy', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } } },
            '503': { description: 'The database does not answer' },
          },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
      '/models/{name}': {
        get: {
          summary: 'The evaluation page for people: ROC curve, score histogram with a threshold control, confusion matrix, training curve',
          parameters: [nameParameter],
          responses: { '200': { description: 'HTML', content: { 'text/html': {} } }, '404': { description: 'No such model' } },
        },
      },
    },
  };
}
