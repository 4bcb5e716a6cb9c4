/** Small HTTP helpers for the simulator's tests: JSON and SSZ reads of a Beacon API, nothing more. */
import { ssz } from "@lodestar/types";

export interface Answer<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export async function getJson<T = unknown>(base: string, path: string): Promise<Answer<T>> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

export async function postJson<T = unknown>(base: string, path: string, body: unknown): Promise<Answer<T>> {
  const response = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === "" ? undefined : JSON.parse(text)) as T };
}

export async function getSsz(base: string, path: string): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const response = await fetch(`${base}${path}`, { headers: { accept: "application/octet-stream" } });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

export async function getState(base: string, stateId: string | number): Promise<ReturnType<typeof ssz.electra.BeaconState.deserialize>> {
  const { status, bytes } = await getSsz(base, `/eth/v2/debug/beacon/states/${stateId}`);
  if (status !== 200) throw new Error(`state ${stateId}: HTTP ${status}`);
  return ssz.electra.BeaconState.deserialize(bytes);
}

/** Bits of an SSZ bitlist in 0x hex: the highest set bit marks the length and is not part of it. */
export function bitlist(hex: string): boolean[] {
  const bytes = Buffer.from(hex.slice(2), "hex");
  const last = bytes[bytes.length - 1] ?? 0;
  if (last === 0) throw new Error(`not a bitlist: ${hex}`);
  const length = (bytes.length - 1) * 8 + (31 - Math.clz32(last));
  return Array.from({ length }, (_, i) => (((bytes[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
}

/** Bits of an SSZ bitvector in 0x hex. */
export function bitvector(hex: string): boolean[] {
  const bytes = Buffer.from(hex.slice(2), "hex");
  return Array.from({ length: bytes.length * 8 }, (_, i) => (((bytes[i >> 3] ?? 0) >> (i & 7)) & 1) === 1);
}
