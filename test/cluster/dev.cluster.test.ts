import { describeDefects } from "./defects";
import { describeStack } from "./suite";

// dev with every add-on, HTTPS at the gateway (its stack file), then the classes of defect that only
// the real systems catch, each shown failing on a real mistake, on the same cluster. Its requests
// must fit beside other work on a laptop's kind cluster: 1 CPU and 1.5 GiB.
describeStack("dev", "dev", {}, { budget: { cpuMilli: 1000, memoryMi: 1536 }, more: describeDefects });
