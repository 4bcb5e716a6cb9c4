/**
 * Registering keys through the API, on SQLite and PostgreSQL: deposit data from the deposit CLI,
 * keystores into custody, exported deposit data, and every registration rule.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildDepositDataEntry } from "../../src/deposit/depositData.js";
import { bls } from "../../src/crypto/bls.js";
import { decryptKeystore, encryptKeystore, parseKeystore } from "../../src/keygen/keystore.js";
import { KeyCustody } from "../../src/registry/custody.js";
import { KeyRegistration } from "../../src/registry/keyRegistration.js";
import { OperatorsRepository } from "../../src/store/operators.js";
import { ValidatorKeysRepository } from "../../src/store/validatorKeys.js";
import { FIXTURE_WITHDRAWAL_CREDENTIALS } from "../helpers/app.js";
import { SERVICE_PASSWORD, createOperator, startTestApp, type TestApp } from "../helpers/app.js";
import { ENGINES } from "../helpers/stores.js";

const fixture = (path: string): Promise<string> => readFile(new URL(`../fixtures/deposit-cli/${path}`, import.meta.url), "utf8");
// ethstaker-deposit-cli 1.2.2 output (via eth-staking-smith): hoodi, 0x01 credentials to 0x…01, validators 0..2.
const THREE = "multiple_validators/hoodi/deposit_data-1755071454.json";
// The same mnemonic, validators 1..2, written by the CLI byte for byte.
const TWO_EXACT = "regenerate_from_seed_index/hoodi/deposit_data-1755078158.json";
const KEYSTORES = ["0", "1", "2"].map((i) => `multiple_validators/hoodi/keystore-m_12381_3600_${i}_0_0-1755071454.json`);
const KEYSTORE_PASSWORD = "blablatesttest";

describe.each(ENGINES)("registration on %s", (engine) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ engine });
  });
  afterEach(async () => {
    await t.close();
  });

  it("registers deposit-CLI deposit data, lists the keys, and exports the same file back", async () => {
    const op = await createOperator(t, "acme");
    const entries = JSON.parse(await fixture(TWO_EXACT)) as unknown[];
    const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/deposit-data`, { token: op.token, body: entries });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ registered: 2, rejected: 0 });

    const keys = await t.request("GET", `/api/v1/operators/${op.id}/keys?state=registered`, { token: op.token });
    expect(keys.json<{ keys: { source: string; state: string }[] }>().keys).toMatchObject([
      { source: "deposit-data", state: "registered" },
      { source: "deposit-data", state: "registered" },
    ]);
    const exported = await t.request("GET", `/api/v1/operators/${op.id}/deposit-data`, { token: op.token });
    expect(exported.headers["content-disposition"]).toMatch(/attachment; filename="deposit_data-\d{10}\.json"/);
    // Byte for byte what the deposit CLI wrote. (Export order is registration time, then pubkey;
    // this fixture's two pubkeys happen to be in ascending order, as the CLI wrote them.)
    expect(exported.body).toBe(await fixture(TWO_EXACT));
  });

  it("reports every rule per entry: duplicates, already registered, tampered, wrong network, another operator", async () => {
    const a = await createOperator(t, "a");
    const b = await createOperator(t, "b");
    const three = JSON.parse(await fixture(THREE)) as Record<string, unknown>[];
    await t.request("POST", `/api/v1/operators/${a.id}/keys/deposit-data`, { token: a.token, body: [three[0]] });

    const sepolia = (JSON.parse(await fixture("multiple_validators/sepolia/deposit_data-1755013393.json")) as Record<string, unknown>[])[2];
    const tampered = { ...three[2], amount: 1_000_000_000 };
    const batch = [three[0], three[1], three[1], tampered, sepolia, { pubkey: "nope" }];
    const response = await t.request("POST", `/api/v1/operators/${b.id}/keys/deposit-data`, { token: b.token, body: batch });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ registered: number; results: { index: number; status: string; reasons: { code: string }[] }[] }>();
    const codes = body.results.map((r) => [r.index, r.status, r.reasons.map((x) => x.code)]);
    expect(codes).toEqual([
      [0, "rejected", ["ALREADY_REGISTERED"]],
      [1, "registered", []],
      [2, "rejected", ["DUPLICATE_IN_BATCH"]],
      [3, "rejected", expect.arrayContaining(["AMOUNT_NOT_ALLOWED", "DEPOSIT_MESSAGE_ROOT_MISMATCH", "SIGNATURE_INVALID"])],
      [4, "rejected", expect.arrayContaining(["FORK_VERSION_MISMATCH", "NETWORK_NAME_MISMATCH"])],
      [5, "rejected", expect.arrayContaining(["HEX_INVALID"])],
    ]);
    expect(body.registered).toBe(1);
  });

  it("rejects deposits whose withdrawal credentials are not the protocol's", async () => {
    const op = await createOperator(t, "acme");
    // 0x00 credentials from the BLS fixture: not the protocol's 0x01…01.
    const bls = JSON.parse(await fixture("withdrawal_credentials_bls/hoodi/deposit_data-1755000050.json")) as unknown[];
    const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/deposit-data`, { token: op.token, body: bls });
    expect(response.json()).toMatchObject({ registered: 0, results: [{ reasons: [{ code: "WITHDRAWAL_CREDENTIALS_MISMATCH", field: "withdrawal_credentials" }] }] });
  });

  it("applies the operator's key limit and refuses a disabled operator", async () => {
    const op = await createOperator(t, "limited", { keyLimit: 2 });
    const three = JSON.parse(await fixture(THREE)) as unknown[];
    const limited = await t.request("POST", `/api/v1/operators/${op.id}/keys/deposit-data`, { token: op.token, body: three });
    expect(limited.json<{ results: { reasons: { code: string }[] }[] }>().results.map((r) => r.reasons.map((x) => x.code))).toEqual([[], [], ["KEY_LIMIT_REACHED"]]);

    const disabled = await createOperator(t, "disabled");
    expect((await t.request("PATCH", `/api/v1/operators/${disabled.id}`, { body: { active: false } })).statusCode).toBe(200);
    const refused = await t.request("POST", `/api/v1/operators/${disabled.id}/keys/deposit-data`, { token: disabled.token, body: [three[2]] });
    expect(refused.json()).toMatchObject({ registered: 0, results: [{ reasons: [{ code: "OPERATOR_DISABLED" }] }] });
    const generate = await t.request("POST", `/api/v1/operators/${disabled.id}/keys/generate`, { token: disabled.token, body: { count: 1 } });
    expect(generate.statusCode).toBe(409);
    expect(generate.json()).toMatchObject({ code: "OPERATOR_DISABLED" });
  });

  it("takes keystores into custody: re-encrypted with the service password, mode 0600, deposit data as the CLI's", async () => {
    const op = await createOperator(t, "custodian");
    const keystores = await Promise.all(KEYSTORES.map(fixture));
    const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/keystores`, {
      token: op.token,
      body: { keystores: [keystores[0], keystores[1], "{not json", keystores[2]], passwords: [KEYSTORE_PASSWORD, "wrong-password", KEYSTORE_PASSWORD, KEYSTORE_PASSWORD] },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ registered: number; results: { status: string; reasons: { code: string }[] }[] }>();
    expect(body.results.map((r) => [r.status, r.reasons.map((x) => x.code)])).toEqual([
      ["registered", []],
      ["rejected", ["KEYSTORE_WRONG_PASSWORD"]],
      ["rejected", ["KEYSTORE_INVALID"]],
      ["registered", []],
    ]);
    const folder = join(t.keysDir, "custodian");
    const files = (await readdir(folder)).sort();
    expect(files).toHaveLength(2);
    for (const file of files) {
      expect((await stat(join(folder, file))).mode & 0o777).toBe(0o600);
      const keystore = parseKeystore(JSON.parse(await readFile(join(folder, file), "utf8")), file);
      await expect(decryptKeystore(keystore, KEYSTORE_PASSWORD)).rejects.toMatchObject({ code: "KEYSTORE_WRONG_PASSWORD" });
      await expect(decryptKeystore(keystore, SERVICE_PASSWORD)).resolves.toBeDefined();
    }
    // The deposits the service signed for these keys are exactly the deposit CLI's.
    const exported = JSON.parse((await t.request("GET", `/api/v1/operators/${op.id}/deposit-data`, { token: op.token })).body) as { pubkey: string }[];
    const cli = JSON.parse(await fixture(THREE)) as { pubkey: string }[];
    expect(exported.sort((x, y) => x.pubkey.localeCompare(y.pubkey))).toEqual([cli[0], cli[2]].sort((x, y) => (x?.pubkey ?? "").localeCompare(y?.pubkey ?? "")));
    expect(t.logs()).not.toContain(KEYSTORE_PASSWORD);
    expect(t.logs()).not.toContain(SERVICE_PASSWORD);
  });

  it("deposits the service signs itself pass the same deposit rule (a broken one is refused)", async () => {
    const op = await createOperator(t, "generator");
    const registration = new KeyRegistration(
      { network: t.config.network, withdrawalCredentials: FIXTURE_WITHDRAWAL_CREDENTIALS, depositAmountGwei: 32_000_000_000 },
      {
        db: t.app.store.db,
        dialect: t.app.store.dialect,
        operators: new OperatorsRepository(t.app.store.db),
        keys: new ValidatorKeysRepository(t.app.store.db),
        custody: new KeyCustody({ dir: t.keysDir, password: SERVICE_PASSWORD }),
        beacon: null,
        clock: { now: () => new Date() },
      },
    );
    const generated = await Promise.all(
      [1, 2].map(async (n) => {
        const secretKey = bls.SecretKey.fromKeygen(Buffer.alloc(32, `generated ${n}`)).toBytes();
        const deposit = buildDepositDataEntry({ secretKey, withdrawalCredentials: FIXTURE_WITHDRAWAL_CREDENTIALS, amountGwei: 32_000_000_000, network: t.config.network });
        const keystore = await encryptKeystore(secretKey, SERVICE_PASSWORD, { kdf: "pbkdf2", path: `m/12381/3600/${n}/0/0`, pbkdf2: { c: 1_000 } });
        return { keystore, deposit };
      }),
    );
    // A bug that signed the wrong message would show up like this second deposit.
    const broken = { ...generated[1]!, deposit: { ...generated[1]!.deposit, signature: generated[0]!.deposit.signature } };
    const result = await registration.registerGenerated(op.id, [generated[0]!, broken]);
    expect(result.results.map((r) => [r.status, r.reasons.map((x) => x.code)])).toEqual([
      ["registered", []],
      ["rejected", expect.arrayContaining(["SIGNATURE_INVALID"])],
    ]);
    expect(await readdir(join(t.keysDir, "generator"))).toHaveLength(1);
  });

  it("adopting existing validators needs a beacon node", async () => {
    const op = await createOperator(t, "acme");
    const response = await t.request("POST", `/api/v1/operators/${op.id}/keys/existing`, { token: op.token, body: { pubkeys: [`0x${"a".repeat(96)}`] } });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: "BEACON_NODE_REQUIRED" });
  });
});
