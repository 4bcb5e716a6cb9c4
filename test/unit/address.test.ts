import { describe, expect, it } from "vitest";
import { parseAddress, toChecksumAddress } from "../../src/chain/address.js";
import { InputError } from "../../src/errors.js";

// EIP-55's own examples (mixed case, all caps, all lower).
const EIP55_EXAMPLES = [
  "0x52908400098527886E0F7030069857D2E4169EE7",
  "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
  "0xde709f2102306220921060314715629080e2fb77",
  "0x27b1fdb04752bbc536007a920d24acb045561c26",
  "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
];

describe("EIP-55 addresses", () => {
  it.each(EIP55_EXAMPLES)("%s is its own checksum form", (address) => {
    const bytes = parseAddress(address, { flag: "--x", requireChecksum: true });
    expect(toChecksumAddress(bytes)).toBe(address);
  });

  it.each([
    ["a flipped case", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", false],
    ["all lower case with letters when a checksum is required", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", true],
    ["too short", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", false],
    ["no 0x", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", false],
    ["not hex", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", false],
  ])("refuses %s", (_d, address, requireChecksum) => {
    expect(() => parseAddress(address, { flag: "--withdrawal-address", requireChecksum })).toThrow(InputError);
  });

  it("accepts all lower case when no checksum is required", () => {
    const bytes = parseAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", { flag: "--x", requireChecksum: false });
    expect(toChecksumAddress(bytes)).toBe("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  });

  it("accepts an address without letters, which is its own checksum form", () => {
    expect(parseAddress("0x0000000000000000000000000000000000000001", { flag: "--x", requireChecksum: true })[19]).toBe(1);
  });
});
