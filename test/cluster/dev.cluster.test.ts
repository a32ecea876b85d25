import { describeStack } from "./suite";
import { describeDefects } from "./defects";

// dev with every add-on, HTTPS at the gateway (its stack file), then the classes of defect that only
// the real systems catch, each shown failing on a real mistake, on the same cluster.
describeStack("dev", "dev", {}, describeDefects);
