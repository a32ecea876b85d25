import * as pulumi from "@pulumi/pulumi";
import { parseSettings, type Settings } from "./settings";

export * from "./settings";
export { DEFAULTS, ENVIRONMENTS } from "./defaults";
export { CONFIG_NAMESPACE, SCHEMA } from "./schema";

/**
 * The only place that reads Pulumi config: the current stack's configuration, validated. Throws a
 * SettingsError naming every bad key before the program registers any resource.
 */
export function loadSettings(): Settings {
  return parseSettings(pulumi.runtime.allConfig(), pulumi.getStack());
}
