// What action modules import from the runtime. The entry point (main) is wired in by the build, not by actions.
export { defineAction, type ActionContext, type ActionDefinition, type ActionOutcome } from './action';
export { ActionError, invalidInput, configurationError, type ErrorCode, ERROR_CODES } from './errors';
export { ENTITY_TYPES, entityValue, isEmailAddress, type Entity, type EntityType } from './entities';
export { describeConfig, type Config, type ApiFlavor } from './config';
export type { Logger } from './log';
