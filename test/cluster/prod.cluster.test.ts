import { describeStack } from "./suite";

// prod as its stack file sets it.
describeStack("prod", "prod", {});
