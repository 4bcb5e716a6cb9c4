/**
 * BIP39 mnemonics on @scure/bip39: new ones in English by default, and any valid 12-24 word
 * mnemonic in any of the BIP39 word lists. Errors name word positions, never words.
 */
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist as czech } from "@scure/bip39/wordlists/czech.js";
import { wordlist as english } from "@scure/bip39/wordlists/english.js";
import { wordlist as french } from "@scure/bip39/wordlists/french.js";
import { wordlist as italian } from "@scure/bip39/wordlists/italian.js";
import { wordlist as japanese } from "@scure/bip39/wordlists/japanese.js";
import { wordlist as korean } from "@scure/bip39/wordlists/korean.js";
import { wordlist as portuguese } from "@scure/bip39/wordlists/portuguese.js";
import { wordlist as simplifiedChinese } from "@scure/bip39/wordlists/simplified-chinese.js";
import { wordlist as spanish } from "@scure/bip39/wordlists/spanish.js";
import { wordlist as traditionalChinese } from "@scure/bip39/wordlists/traditional-chinese.js";
import { MnemonicError } from "./errors.js";

export const MNEMONIC_LANGUAGES = {
  english,
  czech,
  french,
  italian,
  japanese,
  korean,
  portuguese,
  spanish,
  "simplified-chinese": simplifiedChinese,
  "traditional-chinese": traditionalChinese,
} as const satisfies Record<string, readonly string[]>;

export type MnemonicLanguage = keyof typeof MNEMONIC_LANGUAGES;

export const MNEMONIC_LANGUAGE_NAMES = Object.keys(MNEMONIC_LANGUAGES) as MnemonicLanguage[];

/** BIP39: 128 to 256 bits of entropy in 32-bit steps, i.e. 12, 15, 18, 21 or 24 words. */
const WORD_COUNT_TO_STRENGTH: Readonly<Record<number, number>> = { 12: 128, 15: 160, 18: 192, 21: 224, 24: 256 };

export function newMnemonic(language: MnemonicLanguage = "english", words = 24): string {
  const strength = WORD_COUNT_TO_STRENGTH[words];
  if (strength === undefined) {
    throw new MnemonicError("MNEMONIC_WORD_COUNT", `a mnemonic has 12, 15, 18, 21 or 24 words, not ${words}`, {
      words,
    });
  }
  return generateMnemonic(wordlistOf(language), strength);
}

export interface CheckedMnemonic {
  /** Words joined by single ASCII spaces, NFKD-normalized (what the seed is computed from). */
  readonly phrase: string;
  readonly language: MnemonicLanguage;
  readonly wordCount: number;
}

/**
 * Checks word count, word-list membership and the BIP39 checksum, in that order, so the error
 * says which of the three is wrong. Whitespace (including the ideographic space of Japanese
 * mnemonics) separates words; case does not matter; like the deposit CLI, a word may be
 * abbreviated to its first four characters (BIP39 lists are unique in those).
 */
export function checkMnemonic(input: string): CheckedMnemonic {
  const words = input.normalize("NFKD").toLowerCase().trim().split(/\s+/u).filter((w) => w.length > 0);
  if (WORD_COUNT_TO_STRENGTH[words.length] === undefined) {
    throw new MnemonicError(
      "MNEMONIC_WORD_COUNT",
      `the mnemonic has ${words.length} words; a BIP39 mnemonic has 12, 15, 18, 21 or 24`,
      { wordCount: words.length },
    );
  }
  const expansions = MNEMONIC_LANGUAGE_NAMES.flatMap((language) => {
    const expanded = expandWords(words, language);
    return expanded === null ? [] : [{ language, phrase: expanded.join(" ") }];
  });
  if (expansions.length === 0) {
    const best = closestLanguage(words);
    const unknown = words.flatMap((w, i) => (resolveWord(w, best) === null ? [i + 1] : []));
    throw new MnemonicError(
      "MNEMONIC_UNKNOWN_WORD",
      `word${unknown.length > 1 ? "s" : ""} at position ${unknown.join(", ")} ${unknown.length > 1 ? "are" : "is"} not in the ` +
        `BIP39 ${best} word list (check the spelling)`,
      { positions: unknown, language: best },
    );
  }
  const valid = expansions.filter(({ language, phrase }) => validateMnemonic(phrase, wordlistOf(language)));
  const first = valid[0];
  if (first === undefined) {
    throw new MnemonicError(
      "MNEMONIC_CHECKSUM",
      "the mnemonic's BIP39 checksum does not match: a word is wrong or the words are out of order",
      { wordCount: words.length },
    );
  }
  if (valid.some((v) => v.phrase !== first.phrase)) {
    throw new MnemonicError(
      "MNEMONIC_UNKNOWN_LANGUAGE",
      `the abbreviated mnemonic is valid in several languages (${valid.map((v) => v.language).join(", ")}); write the words in full`,
      { languages: valid.map((v) => v.language) },
    );
  }
  return { phrase: first.phrase, language: first.language, wordCount: words.length };
}

/** BIP39 seed (PBKDF2-HMAC-SHA512, 2048 rounds) of a checked mnemonic and optional passphrase. */
export function mnemonicToSeed(mnemonic: CheckedMnemonic, passphrase = ""): Uint8Array {
  return mnemonicToSeedSync(mnemonic.phrase, passphrase.normalize("NFKD"));
}

function wordlistOf(language: MnemonicLanguage): string[] {
  return MNEMONIC_LANGUAGES[language] as unknown as string[];
}

interface WordIndex {
  readonly words: ReadonlySet<string>;
  /** First four characters -> word, for the abbreviated form. */
  readonly prefixes: ReadonlyMap<string, string>;
}

const wordIndexes = new Map<MnemonicLanguage, WordIndex>();

function wordIndex(language: MnemonicLanguage): WordIndex {
  let index = wordIndexes.get(language);
  if (index === undefined) {
    const words = MNEMONIC_LANGUAGES[language].map((w) => w.normalize("NFKD"));
    const prefixes = new Map<string, string>();
    for (const word of words) {
      const prefix = [...word].slice(0, 4).join("");
      if (prefix !== word) prefixes.set(prefix, word);
    }
    index = { words: new Set(words), prefixes };
    wordIndexes.set(language, index);
  }
  return index;
}

function resolveWord(word: string, language: MnemonicLanguage): string | null {
  const index = wordIndex(language);
  if (index.words.has(word)) return word;
  return index.prefixes.get(word) ?? null;
}

function expandWords(words: readonly string[], language: MnemonicLanguage): string[] | null {
  const expanded: string[] = [];
  for (const word of words) {
    const full = resolveWord(word, language);
    if (full === null) return null;
    expanded.push(full);
  }
  return expanded;
}

function closestLanguage(words: readonly string[]): MnemonicLanguage {
  let best: MnemonicLanguage = "english";
  let bestHits = -1;
  for (const language of MNEMONIC_LANGUAGE_NAMES) {
    const hits = words.filter((w) => resolveWord(w, language) !== null).length;
    if (hits > bestHits) {
      best = language;
      bestHits = hits;
    }
  }
  return best;
}
