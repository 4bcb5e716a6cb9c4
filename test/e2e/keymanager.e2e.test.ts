/**
 * KeymanagerClient against a real Lodestar 1.5.1 validator client on the shared devnet, with a
 * keystore stakeops encrypts itself: the key of genesis validator 14, which no one runs at start.
 * The tests run in order and share the client's state, like an operator's key migration: import,
 * duplicate, delete (with its slashing-protection export), import again with that export, and then
 * the chain itself shows validator 14 attesting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BeaconGenesis } from "../../src/beacon/beaconApi.js";
import { BeaconClient } from "../../src/beacon/beaconClient.js";
import { KeymanagerClient } from "../../src/keymanager/keymanagerClient.js";
import { currentSlot, interopKeystore, interopPubkey, startDevnet, untilSlot, type DevnetWithKeymanager } from "../helpers/devnet.js";

const SLOTS_PER_EPOCH = 8;
const KEY_INDEX = 14;
const PASSWORD = "devnet keystore password";

let devnet: DevnetWithKeymanager;
let keymanager: KeymanagerClient;
let beacon: BeaconClient;
let genesis: BeaconGenesis;
let keystoreJson: string;
/** The interchange the client returned when key 14 was deleted, imported back with it. */
let exported: string | undefined;
const pubkey = interopPubkey(KEY_INDEX);

beforeAll(async () => {
  const [started, keystore] = await Promise.all([
    startDevnet({ validatorClient: true, slotSeconds: 1 }),
    interopKeystore(KEY_INDEX, PASSWORD),
  ]);
  devnet = started;
  keystoreJson = JSON.stringify(keystore);
  keymanager = new KeymanagerClient({ url: devnet.keymanagerUrl, token: devnet.keymanagerToken });
  beacon = new BeaconClient({ urls: [devnet.beaconUrl] });
  genesis = await beacon.getGenesis();
}, 240_000);

afterAll(async () => {
  await devnet?.stop();
}, 60_000);

describe("KeymanagerClient on a Lodestar 1.5.1 validator client", () => {
  it("lists no keys at start, local or remote", async () => {
    await expect(keymanager.listKeystores()).resolves.toEqual([]);
    await expect(keymanager.listRemoteKeys()).resolves.toEqual([]);
  });

  it("refuses a wrong token with KEYMANAGER_UNAUTHORIZED and shows neither token", async () => {
    const wrongToken = "not-the-devnet-token-0123456789";
    const wrong = new KeymanagerClient({ url: devnet.keymanagerUrl, token: wrongToken });
    const error: unknown = await wrong.listKeystores().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "KEYMANAGER_UNAUTHORIZED", details: { status: 401, endpoint: "/eth/v1/keystores" } });
    const shown = JSON.stringify({ message: (error as Error).message, details: (error as { details: unknown }).details });
    expect(shown).not.toContain(wrongToken);
    expect(shown).not.toContain(devnet.keymanagerToken);
  });

  it("imports the keystore stakeops made for key 14 and lists it", async () => {
    await expect(keymanager.importKeystores({ keystores: [keystoreJson], passwords: [PASSWORD] })).resolves.toEqual([
      { status: "imported", message: "" },
    ]);
    // Lodestar 1.5.1 does not report the derivation path (it writes ""), which reads as null.
    await expect(keymanager.listKeystores()).resolves.toEqual([{ pubkey, derivationPath: null, readonly: false }]);
  });

  it("says duplicate when the same keystore is imported again", async () => {
    await expect(keymanager.importKeystores({ keystores: [keystoreJson], passwords: [PASSWORD] })).resolves.toEqual([
      { status: "duplicate", message: "" },
    ]);
  });

  it("deletes the key and hands back an EIP-3076 interchange that names it", async () => {
    const result = await keymanager.deleteKeystores([pubkey]);
    expect(result.statuses).toEqual([{ status: "deleted", message: "" }]);
    const interchange = JSON.parse(result.slashingProtection) as {
      metadata: { interchange_format_version: string; genesis_validators_root: string };
      data: { pubkey: string }[];
    };
    expect(interchange.metadata).toEqual({ interchange_format_version: "5", genesis_validators_root: genesis.genesisValidatorsRoot });
    expect(interchange.data.map((d) => d.pubkey)).toEqual([pubkey]);
    exported = result.slashingProtection;
    await expect(keymanager.listKeystores()).resolves.toEqual([]);
  });

  it("imports the key again together with that interchange, and validator 14 then attests on chain", async () => {
    expect(exported).toBeDefined();
    const importedAt = currentSlot(genesis.genesisTime, devnet.slotSeconds);
    await expect(
      keymanager.importKeystores({
        keystores: [keystoreJson],
        passwords: [PASSWORD],
        ...(exported === undefined ? {} : { slashingProtection: exported }),
      }),
    ).resolves.toEqual([{ status: "imported", message: "" }]);
    await expect(keymanager.listKeystores()).resolves.toEqual([{ pubkey, derivationPath: null, readonly: false }]);

    // The client picks the key's duties up from the next epoch on. Look at each finished epoch after
    // the import (a few slots into the epoch after it, when its attestations are in) until 14 is live.
    const firstEpoch = Math.floor(importedAt / SLOTS_PER_EPOCH) + 1;
    const seen: [number, boolean | undefined][] = [];
    for (let epoch = firstEpoch; epoch < firstEpoch + 4; epoch++) {
      await untilSlot(genesis.genesisTime, devnet.slotSeconds, (epoch + 1) * SLOTS_PER_EPOCH + 3);
      const live = await beacon.getLiveness(epoch, [13, KEY_INDEX, 15]);
      seen.push([epoch, live.get(KEY_INDEX)]);
      expect(live.get(13)).toBe(true);
      expect(live.get(15)).toBe(false);
      if (live.get(KEY_INDEX) === true) break;
    }
    expect(seen.at(-1), `liveness of validator 14 per epoch after the import: ${JSON.stringify(seen)}`).toEqual([expect.any(Number), true]);
  }, 60_000);
});
