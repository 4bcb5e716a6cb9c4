/** EIP-3076 interchange files: strict reading with errors that point at the field, merge, minify, writing back. */
import { describe, expect, it } from "vitest";
import {
  InvalidInterchangeError,
  MAX_UINT64,
  mergeInterchanges,
  minifyInterchange,
  parseInterchangeJson,
  readInterchange,
  serializeInterchange,
  type Interchange,
} from "../../src/risk/interchange/index.js";

const GVR = `0x${"04".repeat(32)}`;
const OTHER_GVR = `0x${"05".repeat(32)}`;
const KEY_A = `0x${"a1".repeat(48)}`;
const KEY_B = `0x${"b2".repeat(48)}`;
const root = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

type FileJson = Record<string, unknown> & { metadata: Record<string, unknown>; data: Record<string, unknown>[] };

/** A valid file with one key, one block and one attestation; `edit` changes it in place. */
function file(edit: (json: FileJson) => void = () => {}): FileJson {
  const json: FileJson = {
    metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
    data: [
      {
        pubkey: KEY_A,
        signed_blocks: [{ slot: "81952", signing_root: root(1) }],
        signed_attestations: [{ source_epoch: "2290", target_epoch: "3007", signing_root: root(2) }],
      },
    ],
  };
  edit(json);
  return json;
}

const record = (json: FileJson): Record<string, unknown> => json.data[0] as Record<string, unknown>;
const firstBlock = (json: FileJson): Record<string, unknown> =>
  (record(json)["signed_blocks"] as Record<string, unknown>[])[0] as Record<string, unknown>;
const firstAttestation = (json: FileJson): Record<string, unknown> =>
  (record(json)["signed_attestations"] as Record<string, unknown>[])[0] as Record<string, unknown>;

function failure(json: unknown): InvalidInterchangeError {
  try {
    readInterchange(json);
  } catch (error) {
    if (error instanceof InvalidInterchangeError) return error;
    throw error;
  }
  throw new Error("expected the interchange to be refused");
}

describe("reading an interchange", () => {
  it("reads the EIP's example shape into bigint slots and epochs, lower-case hex", () => {
    const interchange = readInterchange(
      file((json) => {
        record(json)["pubkey"] = KEY_A.toUpperCase().replace("0X", "0x");
      }),
    );
    expect(interchange).toEqual({
      genesisValidatorsRoot: GVR,
      data: [
        {
          pubkey: KEY_A,
          signedBlocks: [{ slot: 81952n, signingRoot: root(1) }],
          signedAttestations: [{ sourceEpoch: 2290n, targetEpoch: 3007n, signingRoot: root(2) }],
        },
      ],
    });
  });

  it("keeps uint64 values exact up to 2^64-1", () => {
    const interchange = readInterchange(file((json) => void (firstBlock(json)["slot"] = MAX_UINT64.toString())));
    expect(interchange.data[0]?.signedBlocks[0]?.slot).toBe(18446744073709551615n);
  });

  it.each([
    // [text, value]: leading zeros are decimal, never octal
    ["0", 0n],
    ["0010", 10n],
    ["00000000000000000000000000018446744073709551615", MAX_UINT64],
  ])("reads the slot %s as %s", (text, slot) => {
    expect(readInterchange(file((j) => void (firstBlock(j)["slot"] = text))).data[0]?.signedBlocks[0]?.slot).toBe(slot);
  });

  it("reads an absent or null signing root as unknown and ignores fields it does not know", () => {
    const interchange = readInterchange(
      file((json) => {
        delete firstBlock(json)["signing_root"];
        firstAttestation(json)["signing_root"] = null;
        record(json)["client_extension"] = { anything: 1 };
      }),
    );
    expect(interchange.data[0]?.signedBlocks[0]).toEqual({ slot: 81952n });
    expect(interchange.data[0]?.signedAttestations[0]).toEqual({ sourceEpoch: 2290n, targetEpoch: 3007n });
  });

  it("keeps several records of one key as they are (they mean their union)", () => {
    const json = file((j) => void j.data.push({ pubkey: KEY_A, signed_blocks: [], signed_attestations: [] }));
    expect(readInterchange(json).data.map((r) => r.pubkey)).toEqual([KEY_A, KEY_A]);
  });

  it("says when the text is not JSON", () => {
    expect(() => parseInterchangeJson("{\"metadata\": ")).toThrow(expect.objectContaining({ code: "INTERCHANGE_NOT_JSON" }));
  });

  it.each([
    // [what is wrong, edit, code, path, words the message must contain]
    ["not an object", (): unknown => [], "INTERCHANGE_MALFORMED", "", 'an object with "metadata" and "data"'],
    ["no metadata", (j: FileJson) => ({ data: j.data }), "INTERCHANGE_MALFORMED", "metadata", "missing"],
    ["an older version", (j: FileJson) => void (j.metadata["interchange_format_version"] = "4"), "INTERCHANGE_VERSION_UNSUPPORTED", "metadata.interchange_format_version", "version 5"],
    ["the version as a number", (j: FileJson) => void (j.metadata["interchange_format_version"] = 5), "INTERCHANGE_MALFORMED", "metadata.interchange_format_version", "as a string"],
    ["a short genesis validators root", (j: FileJson) => void (j.metadata["genesis_validators_root"] = "0x1234"), "INTERCHANGE_MALFORMED", "metadata.genesis_validators_root", "64 hex digits"],
    ["a genesis validators root without 0x", (j: FileJson) => void (j.metadata["genesis_validators_root"] = "04".repeat(32)), "INTERCHANGE_MALFORMED", "metadata.genesis_validators_root", "0x and 64"],
    ["data not an array", (j: FileJson) => ({ metadata: j.metadata, data: {} }), "INTERCHANGE_MALFORMED", "data", "an array"],
    ["a record that is not an object", (j: FileJson) => ({ metadata: j.metadata, data: [KEY_A] }), "INTERCHANGE_MALFORMED", "data[0]", '"pubkey"'],
    ["a pubkey of 47 bytes", (j: FileJson) => void (record(j)["pubkey"] = `0x${"a1".repeat(47)}`), "INTERCHANGE_MALFORMED", "data[0].pubkey", "96 hex digits"],
    ["no signed_blocks", (j: FileJson) => void delete record(j)["signed_blocks"], "INTERCHANGE_MALFORMED", "data[0].signed_blocks", "write [] when the key signed no block"],
    ["a slot as a JSON number", (j: FileJson) => void (firstBlock(j)["slot"] = 81952), "INTERCHANGE_MALFORMED", "data[0].signed_blocks[0].slot", "quote the number"],
    ["a negative slot", (j: FileJson) => void (firstBlock(j)["slot"] = "-1"), "INTERCHANGE_MALFORMED", "data[0].signed_blocks[0].slot", "decimal string"],
    ["a slot in hex", (j: FileJson) => void (firstBlock(j)["slot"] = "0x10"), "INTERCHANGE_MALFORMED", "data[0].signed_blocks[0].slot", "decimal string"],
    ["a slot in exponent notation", (j: FileJson) => void (firstBlock(j)["slot"] = "1e3"), "INTERCHANGE_MALFORMED", "data[0].signed_blocks[0].slot", "decimal string"],
    ["a slot with a space", (j: FileJson) => void (firstBlock(j)["slot"] = " 1"), "INTERCHANGE_MALFORMED", "data[0].signed_blocks[0].slot", "decimal string"],
    ["a slot of 2^64", (j: FileJson) => void (firstBlock(j)["slot"] = (MAX_UINT64 + 1n).toString()), "INTERCHANGE_MALFORMED", "data[0].signed_blocks[0].slot", "uint64"],
    ["an attestation without source", (j: FileJson) => void delete firstAttestation(j)["source_epoch"], "INTERCHANGE_MALFORMED", "data[0].signed_attestations[0].source_epoch", "missing"],
    ["a signing root of 31 bytes", (j: FileJson) => void (firstAttestation(j)["signing_root"] = `0x${"11".repeat(31)}`), "INTERCHANGE_MALFORMED", "data[0].signed_attestations[0].signing_root", "a signing root"],
  ] satisfies [string, (j: FileJson) => unknown, string, string, string][])("refuses %s", (_what, edit, code, path, words) => {
    const json = file();
    // An edit either changes the file in place or returns a whole other document.
    const error = failure(edit(json) ?? json);
    expect(error.code).toBe(code);
    expect(error.details.path).toBe(path);
    expect(error.message).toContain(words);
  });

  it("names the record and its key in errors inside a record", () => {
    const json = file((j) => {
      j.data.push({ pubkey: KEY_B, signed_blocks: [{ slot: 7 }], signed_attestations: [] });
    });
    const error = failure(json);
    expect(error.details).toMatchObject({ path: "data[1].signed_blocks[0].slot", record: 1, pubkey: KEY_B, actual: "number 7" });
    expect(error.message).toMatch(/^data\[1\]\.signed_blocks\[0\]\.slot \(key 0xb2b2b2b2…b2b2b2\): expected/);
  });
});

describe("writing an interchange", () => {
  it("writes version 5 with decimal strings and reads back to the same value", () => {
    const interchange = readInterchange(file((j) => void (firstBlock(j)["slot"] = MAX_UINT64.toString())));
    const text = serializeInterchange(interchange);
    expect(JSON.parse(text)).toEqual({
      metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
      data: [
        {
          pubkey: KEY_A,
          signed_blocks: [{ slot: "18446744073709551615", signing_root: root(1) }],
          signed_attestations: [{ source_epoch: "2290", target_epoch: "3007", signing_root: root(2) }],
        },
      ],
    });
    expect(parseInterchangeJson(text)).toEqual(interchange);
  });

  it("leaves out unknown signing roots rather than writing null", () => {
    const interchange: Interchange = { genesisValidatorsRoot: GVR, data: [{ pubkey: KEY_A, signedBlocks: [{ slot: 1n }], signedAttestations: [] }] };
    expect(serializeInterchange(interchange)).not.toContain("signing_root");
  });
});

describe("merging interchanges", () => {
  const a: Interchange = {
    genesisValidatorsRoot: GVR,
    data: [
      { pubkey: KEY_A, signedBlocks: [{ slot: 20n }, { slot: 10n, signingRoot: root(1) }], signedAttestations: [{ sourceEpoch: 1n, targetEpoch: 2n }] },
      { pubkey: KEY_B, signedBlocks: [], signedAttestations: [{ sourceEpoch: 5n, targetEpoch: 6n, signingRoot: root(3) }] },
    ],
  };
  const b: Interchange = {
    genesisValidatorsRoot: GVR,
    data: [
      {
        pubkey: KEY_A,
        signedBlocks: [{ slot: 10n, signingRoot: root(1) }, { slot: 15n }, { slot: 10n, signingRoot: root(2) }],
        signedAttestations: [{ sourceEpoch: 0n, targetEpoch: 3n }, { sourceEpoch: 1n, targetEpoch: 2n }],
      },
    ],
  };

  it("unites each key's records, drops exact duplicates, sorts by slot and by target", () => {
    expect(mergeInterchanges([a, b])).toEqual({
      genesisValidatorsRoot: GVR,
      data: [
        {
          pubkey: KEY_A,
          // Two different roots at slot 10 are both kept: together they are what was signed.
          signedBlocks: [{ slot: 10n, signingRoot: root(1) }, { slot: 10n, signingRoot: root(2) }, { slot: 15n }, { slot: 20n }],
          signedAttestations: [{ sourceEpoch: 1n, targetEpoch: 2n }, { sourceEpoch: 0n, targetEpoch: 3n }],
        },
        { pubkey: KEY_B, signedBlocks: [], signedAttestations: [{ sourceEpoch: 5n, targetEpoch: 6n, signingRoot: root(3) }] },
      ],
    });
  });

  it("unites several records of one key inside a single file too", () => {
    const split: Interchange = { genesisValidatorsRoot: GVR, data: [...a.data, ...b.data] };
    expect(mergeInterchanges([split])).toEqual(mergeInterchanges([a, b]));
  });

  it("refuses interchanges of two chains, naming the odd one", () => {
    const error = (() => {
      try {
        mergeInterchanges([a, b, { ...b, genesisValidatorsRoot: OTHER_GVR }]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidInterchangeError);
    expect(error).toMatchObject({ code: "INTERCHANGE_CHAIN_MISMATCH", details: { expected: GVR, actual: OTHER_GVR } });
    expect((error as Error).message).toContain("interchange 2");
  });
});

describe("minifying an interchange", () => {
  it("keeps, per key, the highest slot and the highest source and target, without signing roots", () => {
    const interchange: Interchange = {
      genesisValidatorsRoot: GVR,
      data: [
        {
          pubkey: KEY_A,
          signedBlocks: [{ slot: 4n }, { slot: 243n, signingRoot: root(1) }, { slot: 98n }],
          signedAttestations: [{ sourceEpoch: 5n, targetEpoch: 2n }, { sourceEpoch: 3n, targetEpoch: 7n, signingRoot: root(2) }],
        },
        { pubkey: KEY_B, signedBlocks: [], signedAttestations: [] },
        { pubkey: KEY_A, signedBlocks: [{ slot: 100n }], signedAttestations: [{ sourceEpoch: 4n, targetEpoch: 6n }] },
      ],
    };
    expect(minifyInterchange(interchange)).toEqual({
      genesisValidatorsRoot: GVR,
      data: [
        // (5, 7) was never signed as one attestation: the minimal form takes each maximum on its own.
        { pubkey: KEY_A, signedBlocks: [{ slot: 243n }], signedAttestations: [{ sourceEpoch: 5n, targetEpoch: 7n }] },
        { pubkey: KEY_B, signedBlocks: [], signedAttestations: [] },
      ],
    });
  });

  it("is idempotent", () => {
    const once = minifyInterchange(readInterchange(file()));
    expect(minifyInterchange(once)).toEqual(once);
  });
});
