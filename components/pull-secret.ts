import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Credentials for pulling the app image from a private registry. */
export interface PullCredentials {
  /** Registry host, e.g. ghcr.io. */
  server: pulumi.Input<string>;
  username: pulumi.Input<string>;
  /** Kept secret in state and in the Secret. */
  password: pulumi.Input<string>;
}

/** Every namespace's pull Secret has this name, so a pod's imagePullSecrets can name it anywhere. */
export const PULL_SECRET_NAME = "pingpong-registry";

/** The `.dockerconfigjson` document kubelet reads for `kubernetes.io/dockerconfigjson` Secrets. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}

/** A pull Secret in `namespace`; pods reference it by name through their ServiceAccount. */
export function pullSecret(
  resourceName: string,
  namespace: pulumi.Input<string>,
  credentials: PullCredentials,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const config = pulumi
    .all([credentials.server, credentials.username, credentials.password])
    .apply(([server, username, password]) => dockerConfigJson(server, username, password));
  return new k8s.core.v1.Secret(
    resourceName,
    {
      metadata: { name: PULL_SECRET_NAME, namespace },
      type: "kubernetes.io/dockerconfigjson",
      stringData: { ".dockerconfigjson": pulumi.secret(config) },
    },
    opts,
  );
}
