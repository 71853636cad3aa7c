// Placeholder until the hunting engine lands: the HTTP faces compile against this signature.
import { HuntingEngine, HuntingEngineOptions, HuntingError } from './api';
export * from './api';
export function createHuntingEngine(_options: HuntingEngineOptions): HuntingEngine {
  const fail = (): never => { throw new HuntingError(500, 'InternalServerError', 'The hunting engine is not built yet.'); };
  return { run: fail, addRows: fail, schema: () => ({}), counts: () => ({}) };
}
