/**
 * docker-compose.yml without Docker (none runs here): its services and how they fit together are
 * read from the file and checked against the repository: the image is the Dockerfile's and runs
 * `stakeops serve` as the CLI tests do, every mounted path exists, Prometheus loads the rules and
 * scrapes the service, Grafana is provisioned with the dashboards, ports stay on loopback and no
 * secret is written in the file.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli.js";
import { PROMETHEUS_DIR, loadRules, readYaml } from "../helpers/observability.js";
import { PROJECT_ROOT } from "../helpers/vectors.js";

type Mapping = Record<string, unknown>;

function mapping(value: unknown, where: string): Mapping {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`${where}: expected a mapping`);
  return value as Mapping;
}

function strings(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw new Error(`${where}: expected a list of strings`);
  return value;
}

const compose = mapping(readYaml(join(PROJECT_ROOT, "docker-compose.yml")), "docker-compose.yml");
const services = mapping(compose["services"], "services");
const service = (name: string): Mapping => mapping(services[name], `services.${name}`);

/** Bind mounts of a service as [host path relative to the repository, container path]. */
function bindMounts(name: string): [string, string][] {
  return strings(service(name)["volumes"] ?? [], `${name}.volumes`)
    .filter((v) => v.startsWith("./") || v.startsWith("/"))
    .map((v) => {
      const [host, container] = v.split(":");
      return [host as string, container as string];
    });
}

/** Where a container path of a service comes from in the repository, through its bind mounts. */
function repoPathOf(serviceName: string, containerPath: string): string | null {
  for (const [host, target] of bindMounts(serviceName)) {
    if (containerPath === target || containerPath.startsWith(`${target}/`)) return join(PROJECT_ROOT, host, posix.relative(target, containerPath));
  }
  return null;
}

function dockerfileArgs(instruction: "ENTRYPOINT" | "CMD"): string[] {
  const line = readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${instruction} `))
    .at(-1);
  return strings(JSON.parse((line ?? "").slice(instruction.length + 1)), `Dockerfile ${instruction}`);
}

describe("docker-compose.yml", () => {
  it("runs stakeops, Prometheus and Grafana", () => {
    expect(Object.keys(services).sort()).toEqual(["grafana", "prometheus", "stakeops"]);
  });

  it("builds stakeops from the Dockerfile and runs `stakeops serve`, the package bin the CLI tests run", () => {
    const s = service("stakeops");
    expect(s["build"]).toBe(".");
    expect(existsSync(join(PROJECT_ROOT, "Dockerfile"))).toBe(true);
    const command = s["command"] === undefined ? dockerfileArgs("CMD") : strings(s["command"], "stakeops.command");
    expect([...dockerfileArgs("ENTRYPOINT"), ...command]).toEqual(["stakeops", "serve"]);
    // `stakeops` in the image is the package's bin, the file test/cli runs (`node <CLI> serve`).
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(join(PROJECT_ROOT, pkg.bin["stakeops"] as string)).toBe(CLI);
  });

  it("mounts only paths that exist in the repository", () => {
    for (const name of Object.keys(services)) {
      for (const [host] of bindMounts(name)) expect(existsSync(join(PROJECT_ROOT, host)), `${name}: ${host}`).toBe(true);
    }
  });

  it("Prometheus reads deploy/prometheus/prometheus.yml, which loads the rules and scrapes the stakeops service", () => {
    const command = strings(service("prometheus")["command"], "prometheus.command");
    const configFlag = command.find((c) => c.startsWith("--config.file="));
    const configPath = repoPathOf("prometheus", (configFlag ?? "").replace("--config.file=", ""));
    expect(configPath).toBe(join(PROMETHEUS_DIR, "prometheus.yml"));
    const config = mapping(readYaml(configPath as string), "prometheus.yml");
    // rule_files are relative to the config file, in the container as in the repository.
    const ruleFiles = strings(config["rule_files"], "rule_files");
    const loaded = ruleFiles.flatMap((pattern) => {
      const dir = join(PROMETHEUS_DIR, posix.dirname(pattern));
      const re = new RegExp(`^${posix.basename(pattern).replace(/\./g, "\\.").replace(/\*/g, ".*")}$`);
      return existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).map((f) => join(dir, f)) : [];
    });
    expect(loaded).toEqual([join(PROMETHEUS_DIR, "rules", "stakeops.rules.yml")]);
    const jobs = (config["scrape_configs"] as unknown[]).map((j, i) => mapping(j, `scrape_configs[${i}]`));
    const job = jobs.find((j) => j["job_name"] === "stakeops");
    expect(job).toBeDefined();
    const targets = (job?.["static_configs"] as unknown[]).flatMap((c, i) => strings(mapping(c, `static_configs[${i}]`)["targets"], "targets"));
    expect(targets).toEqual(["stakeops:8080"]);
    expect(readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8")).toMatch(/STAKEOPS_PORT=8080/);
    // StakeopsDown names the job.
    expect(loadRules().find((r) => r.name === "StakeopsDown")?.expr).toContain('up{job="stakeops"}');
  });

  it("Grafana is provisioned with the stack's Prometheus and every dashboard", () => {
    const provisioning = repoPathOf("grafana", "/etc/grafana/provisioning");
    expect(provisioning).toBe(join(PROJECT_ROOT, "grafana", "provisioning"));
    const datasources = mapping(readYaml(join(provisioning as string, "datasources", "prometheus.yml")), "datasources");
    const [prometheus] = (datasources["datasources"] as unknown[]).map((d, i) => mapping(d, `datasources[${i}]`));
    expect(prometheus).toMatchObject({ type: "prometheus", url: "http://prometheus:9090" });
    const providers = mapping(readYaml(join(provisioning as string, "dashboards", "stakeops.yml")), "dashboards");
    const [provider] = (providers["providers"] as unknown[]).map((p, i) => mapping(p, `providers[${i}]`));
    const path = mapping(provider?.["options"], "provider options")["path"];
    expect(repoPathOf("grafana", String(path))).toBe(join(PROJECT_ROOT, "grafana", "dashboards"));
    const env = mapping(service("grafana")["environment"], "grafana.environment");
    const home = repoPathOf("grafana", String(env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]));
    expect(home !== null && existsSync(home), String(home)).toBe(true);
  });

  it("publishes every port on 127.0.0.1 only, and pins every image", () => {
    for (const name of Object.keys(services)) {
      for (const port of strings(service(name)["ports"] ?? [], `${name}.ports`)) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      const image = service(name)["image"];
      if (name !== "stakeops") expect(image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it("writes no secret: secrets are files under ./secrets, read through *_FILE settings", () => {
    const declared = mapping(compose["secrets"], "secrets");
    for (const [name, spec] of Object.entries(declared)) expect(mapping(spec, name)["file"], name).toBe(`./secrets/${name}`);
    for (const name of Object.keys(services)) {
      const env = mapping(service(name)["environment"] ?? {}, `${name}.environment`);
      const mine = strings(service(name)["secrets"] ?? [], `${name}.secrets`);
      for (const [key, value] of Object.entries(env)) {
        if (/TOKEN|PASSWORD|SECRET|MNEMONIC/.test(key)) {
          expect(key, `${name}: ${key} must be a *_FILE setting`).toMatch(/_FILE$/);
          const file = /^\/run\/secrets\/([\w-]+)$/.exec(String(value))?.[1];
          expect(mine, `${name}: ${key}=${String(value)}`).toContain(file);
        }
      }
    }
    // Never committed, never in the image's build context.
    expect(readFileSync(join(PROJECT_ROOT, ".gitignore"), "utf8").split("\n")).toContain("secrets/*");
    expect(readFileSync(join(PROJECT_ROOT, ".dockerignore"), "utf8").split("\n")).toContain("secrets");
  });
});
