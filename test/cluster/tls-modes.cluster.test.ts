import { APP_TLS } from "../support/variants";
import { describeStack } from "./suite";

// dev with each other TLS termination: at an Ingress controller inside the mesh, and at the app.
describeStack("dev-ingress", "dev", { tlsTermination: "ingress" });
describeStack("dev-app", "dev", APP_TLS);
