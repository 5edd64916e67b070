/** The OpenAPI 3.1 description of the HTTP API, served at /openapi.json. */

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

const result = {
  type: 'object',
  description: 'One statement result, the same object `sqlml --json` prints',
  required: ['command', 'columns', 'rows'],
  properties: {
    command: { type: 'string' },
    columns: { type: 'array', items: { type: 'string' } },
    rows: { type: 'array', items: { type: 'object' } },
    rowsAffected: { type: 'integer' },
  },
};

const errors = {
  '400': { description: 'A bad statement, option, column or record', content: { 'application/json': { schema: error } } },
  '401': { description: 'Missing or wrong bearer token', content: { 'application/json': { schema: error } } },
  '404': { description: 'Unknown model', content: { 'application/json': { schema: error } } },
};

export function openApiDocument(): unknown {
  return {
    openapi: '3.1.0',
    info: { title: 'sqlml', version: '0.1.0', description: 'Machine learning in SQL, where the data already is: statements, real-time predictions, models.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'sqlml serve --token / SQLML_TOKEN' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/query': {
        post: {
          summary: 'Run sqlml statements and SQL',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['sql'], properties: { sql: { type: 'string' } } } } } },
          responses: {
            '200': { description: 'One result per statement', content: { 'application/json': { schema: { type: 'object', properties: { results: { type: 'array', items: result } } } } } },
            '409': { description: 'The model exists already', content: { 'application/json': { schema: error } } },
            ...errors,
          },
        },
      },
      '/v1/models/{name}/predict': {
        post: {
          summary: 'Predict for one record or many, with the active version of the model',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { type: 'object', description: 'One record: input column → value' },
                    { type: 'array', items: { type: 'object' } },
                    { type: 'object', required: ['records'], properties: { records: { type: 'array', items: { type: 'object' } } } },
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
                    properties: {
                      model: { type: 'string' },
                      version: { type: 'integer' },
                      predictions: {
                        type: 'array',
                        items: { type: 'object', description: '{predicted_label, score} (classification) or {predicted_value} (regression)' },
                      },
                    },
                  },
                },
              },
            },
            ...errors,
          },
        },
      },
      '/v1/models': { get: { summary: 'SHOW MODELS', responses: { '200': { description: 'The models', content: { 'application/json': { schema: result } } }, ...errors } } },
      '/v1/models/{name}': {
        get: {
          summary: 'The active version: options, recipe, training statistics and curve, evaluation',
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The model', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors },
        },
      },
      '/healthz': { get: { summary: 'The server and its database answer', responses: { '200': { description: 'ok' } } } },
      '/models/{name}': { get: { summary: 'The evaluation page (HTML)', responses: { '200': { description: 'HTML' } } } },
    },
  };
}
