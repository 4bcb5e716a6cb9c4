import { describe, expect, it } from "vitest";
import { KeymanagerError } from "../../src/keymanager/errors.js";
import { KeymanagerClient } from "../../src/keymanager/keymanagerClient.js";
import { hang, json, refusedUrl, useFakeServers } from "../helpers/fakeServer.js";

const fake = useFakeServers();

const TOKEN = "api-token-0x5f1e9c3a7b2d4e6f8a0b1c2d3e4f5a6b";
const PK = (n: number): string => `0x${n.toString(16).padStart(2, "0").repeat(48)}`;
const INTERCHANGE = JSON.stringify({
  metadata: { interchange_format_version: "5", genesis_validators_root: `0x${"11".repeat(32)}` },
  data: [{ pubkey: PK(1), signed_blocks: [], signed_attestations: [] }],
});

async function failure(promise: Promise<unknown>): Promise<KeymanagerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof KeymanagerError)) throw new Error(`expected a KeymanagerError, got ${String(error)}`);
  return error;
}

/** Everything an error shows: message, details, and the messages of its causes. */
function shown(error: KeymanagerError): string {
  const causes: string[] = [];
  for (let c: unknown = error.cause; c instanceof Error; c = c.cause) causes.push(c.message);
  return JSON.stringify([error.message, error.details, causes]);
}

describe("KeymanagerClient: requests and answers", () => {
  it("lists keystores with the bearer token; an empty derivation path and a missing readonly read as null and false", async () => {
    const km = await fake((_, res) =>
      json(res, 200, {
        data: [
          { validating_pubkey: PK(1).toUpperCase().replace("0X", "0x"), derivation_path: "m/12381/3600/1/0/0", readonly: true },
          { validating_pubkey: PK(2), derivation_path: "" },
          { validating_pubkey: PK(3) },
        ],
      }),
    );
    const client = new KeymanagerClient({ url: km.url, token: TOKEN });
    await expect(client.listKeystores()).resolves.toEqual([
      { pubkey: PK(1), derivationPath: "m/12381/3600/1/0/0", readonly: true },
      { pubkey: PK(2), derivationPath: null, readonly: false },
      { pubkey: PK(3), derivationPath: null, readonly: false },
    ]);
    expect(km.requests[0]).toMatchObject({ method: "GET", path: "/eth/v1/keystores" });
    expect(km.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("lists remote signer keys, and says null where the client does not serve /eth/v1/remotekeys", async () => {
    const km = await fake((_, res) =>
      json(res, 200, { data: [{ pubkey: PK(4), url: "https://signer.example:9000", readonly: false }, { pubkey: PK(5) }] }),
    );
    const client = new KeymanagerClient({ url: km.url, token: TOKEN });
    await expect(client.listRemoteKeys()).resolves.toEqual([
      { pubkey: PK(4), url: "https://signer.example:9000", readonly: false },
      { pubkey: PK(5), url: null, readonly: false },
    ]);
    km.handle((_, res) => json(res, 404, { message: "Route GET:/eth/v1/remotekeys not found" }));
    await expect(client.listRemoteKeys()).resolves.toBeNull();
    // 404 means "no such route" only for remotekeys; for keystores it is an error.
    km.handle((_, res) => json(res, 404, { message: "not found" }));
    await expect(failure(client.listKeystores())).resolves.toMatchObject({ code: "KEYMANAGER_HTTP_ERROR", details: { status: 404 } });
  });

  it("imports keystores with passwords, adding slashing_protection only when given; statuses in any case", async () => {
    const km = await fake((_, res) =>
      json(res, 200, { data: [{ status: "IMPORTED" }, { status: "duplicate", message: "already there" }] }),
    );
    const client = new KeymanagerClient({ url: km.url, token: TOKEN });
    const request = { keystores: ['{"a":1}', '{"b":2}'], passwords: ["pass one", "pass two"] };
    await expect(client.importKeystores(request)).resolves.toEqual([
      { status: "imported", message: "" },
      { status: "duplicate", message: "already there" },
    ]);
    await client.importKeystores({ ...request, slashingProtection: INTERCHANGE });
    expect(km.requests.map((r) => [r.method, r.path, r.headers["content-type"], JSON.parse(r.body)])).toEqual([
      ["POST", "/eth/v1/keystores", "application/json", request],
      ["POST", "/eth/v1/keystores", "application/json", { ...request, slashing_protection: INTERCHANGE }],
    ]);
  });

  it("deletes keys (pubkeys sent lower case) and returns the statuses and the interchange", async () => {
    const km = await fake((_, res) =>
      json(res, 200, { data: [{ status: "deleted" }, { status: "not_found", message: "" }], slashing_protection: INTERCHANGE }),
    );
    const client = new KeymanagerClient({ url: km.url, token: TOKEN });
    await expect(client.deleteKeystores([PK(1).toUpperCase().replace("0X", "0x"), PK(2)])).resolves.toEqual({
      statuses: [
        { status: "deleted", message: "" },
        { status: "not_found", message: "" },
      ],
      slashingProtection: INTERCHANGE,
    });
    expect(km.requests[0]).toMatchObject({
      method: "DELETE",
      path: "/eth/v1/keystores",
      body: JSON.stringify({ pubkeys: [PK(1), PK(2)] }),
    });
  });

  it.each([
    // [what, answer, call, field named in the error]
    ["data missing", { keystores: [] }, "list", "data"],
    ["a pubkey without 0x", { data: [{ validating_pubkey: PK(1).slice(2) }] }, "list", "data[0].validating_pubkey"],
    ["readonly as a string", { data: [{ validating_pubkey: PK(1), readonly: "no" }] }, "list", "data[0].readonly"],
    ["a remote key url as a number", { data: [{ pubkey: PK(1), url: 9000 }] }, "remote", "data[0].url"],
    ["an unknown import status", { data: [{ status: "ok" }] }, "import", "data[0].status"],
    ["fewer import statuses than keystores", { data: [] }, "import", "expected 1 statuses"],
    ["an unknown delete status", { data: [{ status: "gone" }], slashing_protection: INTERCHANGE }, "delete", "data[0].status"],
    ["no slashing_protection on delete", { data: [{ status: "deleted" }] }, "delete", "slashing_protection"],
    [
      "slashing_protection that is not JSON",
      { data: [{ status: "deleted" }], slashing_protection: "{oops" },
      "delete",
      "slashing_protection",
    ],
    [
      "slashing_protection without metadata",
      { data: [{ status: "deleted" }], slashing_protection: '{"data":[]}' },
      "delete",
      "slashing_protection.metadata",
    ],
  ] as const)("refuses %s with KEYMANAGER_BAD_RESPONSE naming the field", async (_what, body, call, fieldText) => {
    const km = await fake((_, res) => json(res, 200, body));
    const client = new KeymanagerClient({ url: km.url, token: TOKEN });
    const run = {
      list: () => client.listKeystores(),
      remote: () => client.listRemoteKeys(),
      import: () => client.importKeystores({ keystores: ["{}"], passwords: ["password"] }),
      delete: () => client.deleteKeystores([PK(1)]),
    }[call];
    const error = await failure(run());
    expect(error.code).toBe("KEYMANAGER_BAD_RESPONSE");
    expect(error.message).toContain(fieldText);
    expect(error.details.node).toBe(km.label);
  });

  it("refuses an answer that is not JSON", async () => {
    const km = await fake((_, res) => {
      res.writeHead(200).end("Bad Gateway");
    });
    const error = await failure(new KeymanagerClient({ url: km.url, token: TOKEN }).listKeystores());
    expect(error).toMatchObject({ code: "KEYMANAGER_BAD_RESPONSE", details: { endpoint: "/eth/v1/keystores", reason: "Bad Gateway" } });
  });

  it("checks arguments before sending anything", async () => {
    const km = await fake((_, res) => json(res, 200, { data: [] }));
    const client = new KeymanagerClient({ url: km.url, token: TOKEN });
    await expect(client.importKeystores({ keystores: ["{}"], passwords: [] })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(client.importKeystores({ keystores: [], passwords: [] })).resolves.toEqual([]);
    await expect(client.deleteKeystores(["0x12"])).rejects.toMatchObject({ code: "INVALID_HEX" });
    expect(km.requests).toHaveLength(0);
  });
});

describe("KeymanagerClient: failures", () => {
  it.each([401, 403])("maps %i to KEYMANAGER_UNAUTHORIZED without showing the token, even when the server echoes it", async (status) => {
    const km = await fake((req, res) => json(res, status, { message: `token ${String(req.headers.authorization)} is not valid` }));
    const error = await failure(new KeymanagerClient({ url: km.url, token: TOKEN }).listKeystores());
    expect(error).toMatchObject({ code: "KEYMANAGER_UNAUTHORIZED", details: { status, node: km.label, endpoint: "/eth/v1/keystores" } });
    expect(error.details.reason).toBe("token Bearer [redacted] is not valid");
    expect(shown(error)).not.toContain(TOKEN);
  });

  it("says when no token was given at all", async () => {
    const km = await fake((_, res) => json(res, 401, { error: "missing authorization header" }));
    const error = await failure(new KeymanagerClient({ url: km.url }).listKeystores());
    expect(error.code).toBe("KEYMANAGER_UNAUTHORIZED");
    expect(error.message).toContain("none was given");
    expect(km.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("maps other statuses to KEYMANAGER_HTTP_ERROR with the status, cutting passwords out of the server's message", async () => {
    const km = await fake((req, res) => {
      const { passwords } = JSON.parse(req.body) as { passwords: string[] };
      json(res, 500, { message: `could not decrypt with ${passwords.join(" and ")}` });
    });
    const error = await failure(
      new KeymanagerClient({ url: km.url, token: TOKEN }).importKeystores({
        keystores: ["{}", "{}"],
        passwords: ["hunter2-long", "correct horse"],
      }),
    );
    expect(error).toMatchObject({
      code: "KEYMANAGER_HTTP_ERROR",
      details: { status: 500, method: "POST", reason: "could not decrypt with [redacted] and [redacted]" },
    });
    expect(shown(error)).not.toMatch(/hunter2|correct horse/);
  });

  it("cuts passwords out of per-key status messages too", async () => {
    const km = await fake((_, res) => json(res, 200, { data: [{ status: "error", message: "wrong password hunter2-long" }] }));
    const statuses = await new KeymanagerClient({ url: km.url, token: TOKEN }).importKeystores({
      keystores: ["{}"],
      passwords: ["hunter2-long"],
    });
    expect(statuses).toEqual([{ status: "error", message: "wrong password [redacted]" }]);
  });

  it("times out", async () => {
    const km = await fake(hang);
    const error = await failure(new KeymanagerClient({ url: km.url, token: TOKEN, timeoutMs: 150 }).listKeystores());
    expect(error).toMatchObject({ code: "KEYMANAGER_TIMEOUT", details: { node: km.label } });
    expect(error.message).toContain("no answer within 0.15 s");
  });

  it("gives imports and deletes their own, longer timeout", async () => {
    const km = await fake((_, res) => {
      setTimeout(() => json(res, 200, { data: [{ status: "imported" }] }), 300);
    });
    const client = new KeymanagerClient({ url: km.url, token: TOKEN, timeoutMs: 100, writeTimeoutMs: 2_000 });
    await expect(client.importKeystores({ keystores: ["{}"], passwords: ["password"] })).resolves.toEqual([
      { status: "imported", message: "" },
    ]);
  });

  it("reports a refused connection as KEYMANAGER_UNREACHABLE, without the token", async () => {
    const error = await failure(new KeymanagerClient({ url: await refusedUrl(), token: TOKEN }).listKeystores());
    expect(error.code).toBe("KEYMANAGER_UNREACHABLE");
    expect(error.message).toContain("ECONNREFUSED");
    expect(shown(error)).not.toContain(TOKEN);
  });

  it("reports an aborted request as KEYMANAGER_ABORTED", async () => {
    const km = await fake(hang);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(new KeymanagerClient({ url: km.url, token: TOKEN }).listKeystores(controller.signal));
    expect(error.code).toBe("KEYMANAGER_ABORTED");
  });

  it("refuses a token that could not be a bearer token, without echoing it", () => {
    let message = "";
    try {
      new KeymanagerClient({ url: "http://127.0.0.1:1", token: "abc\r\nX-Injected: secret-value" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("Keymanager API token");
    expect(message).not.toContain("secret-value");
  });
});
