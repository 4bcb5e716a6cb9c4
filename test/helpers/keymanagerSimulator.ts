/**
 * A validator client's Keymanager API for tests that need faults or many clients, speaking the
 * standard API over real HTTP on 127.0.0.1 (the real Lodestar client is exercised in test/e2e).
 * It decrypts every imported keystore with its password, so a broken hand-over fails here too.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decryptKeystore, parseKeystore } from "../../src/keygen/keystore.js";

/**
 * "keep-on-delete": answers "deleted" but keeps the key, as Lodestar 1.5.1 does for an active
 * validator's key.
 */
export type Fault = "none" | "down-once" | "garbage" | "status-500" | "hang" | "keep-on-delete";

export interface SimulatedValidatorClient {
  readonly url: string;
  readonly token: string;
  /** Pubkeys (0x…) currently loaded. */
  readonly keys: Set<string>;
  /** Slashing protection interchange strings received with imports. */
  readonly receivedProtection: string[];
  fault: Fault;
  close(): Promise<void>;
}

export const GENESIS_VALIDATORS_ROOT = "0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f";

export async function startSimulatedValidatorClient(
  token = "simulated-vc-token",
  options: { readonly genesisValidatorsRoot?: string } = {},
): Promise<SimulatedValidatorClient> {
  const genesisValidatorsRoot = options.genesisValidatorsRoot ?? GENESIS_VALIDATORS_ROOT;
  const keys = new Set<string>();
  const receivedProtection: string[] = [];
  const state = { fault: "none" as Fault };
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch(() => {
      response.statusCode = 500;
      response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const fault = state.fault;
    if (fault === "down-once") {
      state.fault = "none";
      request.socket.destroy();
      return;
    }
    if (fault === "hang") return;
    if (fault === "garbage") return send(response, 200, "<html>not json</html>", "text/html");
    if (fault === "status-500") return send(response, 500, JSON.stringify({ message: "internal" }));
    if (request.headers.authorization !== `Bearer ${token}`) return send(response, 401, JSON.stringify({ message: "unauthorized" }));
    const path = (request.url ?? "").split("?")[0];
    if (path === "/eth/v1/remotekeys" && request.method === "GET") return send(response, 200, JSON.stringify({ data: [] }));
    if (path !== "/eth/v1/keystores") return send(response, 404, JSON.stringify({ message: "not found" }));
    if (request.method === "GET") {
      return send(response, 200, JSON.stringify({ data: [...keys].map((pubkey) => ({ validating_pubkey: pubkey, derivation_path: "", readonly: false })) }));
    }
    const json = JSON.parse(body) as { keystores?: string[]; passwords?: string[]; slashing_protection?: string; pubkeys?: string[] };
    if (request.method === "POST") {
      if (json.slashing_protection !== undefined) receivedProtection.push(json.slashing_protection);
      const data = await Promise.all(
        (json.keystores ?? []).map(async (text, i) => {
          try {
            const { pubkey } = await decryptKeystore(parseKeystore(JSON.parse(text), "import"), json.passwords?.[i] ?? "");
            const hex = `0x${Buffer.from(pubkey).toString("hex")}`;
            if (keys.has(hex)) return { status: "duplicate", message: "" };
            keys.add(hex);
            return { status: "imported", message: "" };
          } catch (error) {
            return { status: "error", message: error instanceof Error ? error.message : "bad keystore" };
          }
        }),
      );
      return send(response, 200, JSON.stringify({ data }));
    }
    if (request.method === "DELETE") {
      const pubkeys = json.pubkeys ?? [];
      const data = pubkeys.map((pubkey) => {
        const present = fault === "keep-on-delete" ? keys.has(pubkey.toLowerCase()) : keys.delete(pubkey.toLowerCase());
        return { status: present ? "deleted" : "not_found", message: "" };
      });
      const interchange = {
        metadata: { interchange_format_version: "5", genesis_validators_root: genesisValidatorsRoot },
        data: pubkeys.map((pubkey) => ({
          pubkey,
          signed_blocks: [],
          signed_attestations: [{ source_epoch: "10", target_epoch: "11", signing_root: `0x${"ab".repeat(32)}` }],
        })),
      };
      return send(response, 200, JSON.stringify({ data, slashing_protection: JSON.stringify(interchange) }));
    }
    send(response, 405, JSON.stringify({ message: "method not allowed" }));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    keys,
    receivedProtection,
    get fault() {
      return state.fault;
    },
    set fault(value: Fault) {
      state.fault = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => resolve(text));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, body: string, contentType = "application/json"): void {
  response.writeHead(status, { "content-type": contentType });
  response.end(body);
}
