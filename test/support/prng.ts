/**
 * mulberry32, the emulator's seeded PRNG (test/emulator/hunting/seed.ts), for property tests, so that a failure can be
 * replayed from its seed.
 */
export { mulberry32 as prng } from '../emulator/hunting/seed';
