import { describe, expect, it } from "vitest";
import { MnemonicError } from "../../src/keygen/errors.js";
import {
  MNEMONIC_LANGUAGES,
  MNEMONIC_LANGUAGE_NAMES,
  checkMnemonic,
  mnemonicToSeed,
  newMnemonic,
} from "../../src/keygen/mnemonic.js";

const ABANDON = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

function errorOf(fn: () => unknown): MnemonicError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MnemonicError) return error;
    throw error;
  }
  throw new Error("expected a MnemonicError");
}

describe("new mnemonics", () => {
  it("are 24 English words by default, valid, and never repeat", () => {
    const a = newMnemonic();
    const b = newMnemonic();
    expect(a.split(" ")).toHaveLength(24);
    expect(a.split(" ").every((w) => MNEMONIC_LANGUAGES.english.includes(w))).toBe(true);
    expect(checkMnemonic(a)).toMatchObject({ language: "english", wordCount: 24 });
    expect(a).not.toBe(b);
  });

  it.each(MNEMONIC_LANGUAGE_NAMES)("%s mnemonics check back as %s", (language) => {
    const phrase = newMnemonic(language, 12);
    const checked = checkMnemonic(phrase);
    expect(checked.wordCount).toBe(12);
    // Some word lists share words; the seed is what matters, and it must not change.
    expect(mnemonicToSeed(checked)).toEqual(mnemonicToSeed(checkMnemonic(phrase)));
    expect(MNEMONIC_LANGUAGES[checked.language].length).toBe(2048);
  });

  it.each([12, 15, 18, 21, 24])("%i words", (words) => {
    expect(checkMnemonic(newMnemonic("english", words)).wordCount).toBe(words);
  });

  it("refuses a word count BIP39 does not define", () => {
    expect(errorOf(() => newMnemonic("english", 13)).code).toBe("MNEMONIC_WORD_COUNT");
  });
});

describe("checking mnemonics", () => {
  it("accepts case and whitespace variations with the same seed", () => {
    const seed = mnemonicToSeed(checkMnemonic(ABANDON));
    expect(mnemonicToSeed(checkMnemonic(`  ${ABANDON.toUpperCase().replaceAll(" ", " \t\n ")}\n`))).toEqual(seed);
  });

  it("accepts words abbreviated to four letters, as the deposit CLI does", () => {
    const abbreviated = "aban aban aban aban aban aban aban aban aban aban aban abou";
    expect(checkMnemonic(abbreviated).phrase).toBe(ABANDON);
  });

  it("takes Japanese mnemonics separated by ideographic spaces", () => {
    const phrase = newMnemonic("japanese", 12);
    const ideographic = phrase.normalize("NFC").split(" ").join("\u3000");
    expect(mnemonicToSeed(checkMnemonic(ideographic))).toEqual(mnemonicToSeed(checkMnemonic(phrase)));
  });

  it("takes Spanish mnemonics with or without composed accents", () => {
    const phrase = newMnemonic("spanish", 24);
    expect(mnemonicToSeed(checkMnemonic(phrase.normalize("NFC")))).toEqual(mnemonicToSeed(checkMnemonic(phrase.normalize("NFD"))));
  });

  it("uses the passphrase (a different passphrase, a different seed)", () => {
    const checked = checkMnemonic(ABANDON);
    expect(mnemonicToSeed(checked, "TREZOR")).not.toEqual(mnemonicToSeed(checked));
  });

  it.each([
    // [description, input, code]
    ["11 words", ABANDON.split(" ").slice(1).join(" "), "MNEMONIC_WORD_COUNT"],
    ["empty", "", "MNEMONIC_WORD_COUNT"],
    ["a misspelt word", ABANDON.replace("about", "abuot"), "MNEMONIC_UNKNOWN_WORD"],
    ["a wrong checksum word", ABANDON.replace("about", "abandon"), "MNEMONIC_CHECKSUM"],
    ["two words swapped", "about abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", "MNEMONIC_CHECKSUM"],
  ])("refuses %s", (_description, input, code) => {
    expect(errorOf(() => checkMnemonic(input)).code).toBe(code);
  });

  it("names the position of an unknown word, never the word", () => {
    const error = errorOf(() => checkMnemonic(ABANDON.replace("about", "zzzsecret")));
    expect(error.message).toContain("position 12");
    expect(error.message).not.toContain("zzzsecret");
    expect(error.details).toMatchObject({ positions: [12] });
  });
});
