/**
 * The model-to-SQL compiler the engine uses by default: src/compile's `compileModel`.
 * Read through the module's namespace so the engine builds before src/compile provides
 * it; without one, no model compiles and `engine = 'auto'` streams.
 */
import * as compile from '../compile/index.js';
import type { CompileModel } from '../compile/index.js';

const provided = (compile as { readonly compileModel?: CompileModel }).compileModel;

export const compileModel: CompileModel =
  provided ?? (() => ({ ok: false, reason: 'this build of sqlml has no model-to-SQL compiler' }));
