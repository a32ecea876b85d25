/** The identities Istio gives the pingpong service account in namespaces pingpong-a and pingpong-b. */
export const PINGPONG_A_ID = "spiffe://cluster.local/ns/pingpong-a/sa/pingpong";
export const PINGPONG_B_ID = "spiffe://cluster.local/ns/pingpong-b/sa/pingpong";
