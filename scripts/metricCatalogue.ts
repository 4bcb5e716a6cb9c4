/**
 * `npm run docs:metrics`: writes docs/metrics.md from the service's registry. Run it after adding or
 * changing a metric; test/observability/catalogue.test.ts fails until the file is regenerated.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describeRegistry, renderCatalogue, serviceRegistry } from "../src/metrics/catalogue.js";

const target = fileURLToPath(new URL("../docs/metrics.md", import.meta.url));
writeFileSync(target, renderCatalogue(describeRegistry(serviceRegistry())));
console.log(`wrote ${target}`);
