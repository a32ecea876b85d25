import * as pulumi from "@pulumi/pulumi";
import { parseSettings, type Settings } from "./settings";

export * from "./settings";
export { CONFIG_NAMESPACE, ENVIRONMENTS } from "./key";
export { DEFAULTS, TABLE, TABLE as SCHEMA, type ConfigKey } from "./table";

/**
 * The only place that reads Pulumi config: the current stack's configuration, validated. Throws a
 * SettingsError naming every bad key before the program registers any resource.
 */
export function loadSettings(): Settings {
  return parseSettings(pulumi.runtime.allConfig(), pulumi.getStack());
}
