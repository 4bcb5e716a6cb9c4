/**
 * The beacon-node simulator's public face, for tests and benchmarks: start one in-process, or run
 * main.ts as its own process; pubkeys of the simulated validators are known from their index.
 */
export { startBeaconSimulator, SIMULATOR_VERSION, type BeaconSimulator, type BeaconSimulatorOptions } from "./server.js";
export { ChainModel, defaultHeadSlot, type ChainModelOptions, type AttestationRewardsAnswer } from "./chainModel.js";
export { indexOfSimulatedPubkey, simulatedPubkey, simulatedPubkeyHex } from "./pubkeys.js";
export type { ReorgChange } from "./chainLayout.js";
export type { FaultSettings, FaultUpdate, RequestLog, SimulatorFaults } from "./faults.js";
export type { MissRateFunction } from "./attendance.js";
export type { PastProposerDuties } from "./routeContext.js";
export { FLAG_HEAD, FLAG_SOURCE, FLAG_TARGET } from "./votes.js";
