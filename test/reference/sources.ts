/**
 * Every file of the upstream reference data (see test/support/reference.ts), pinned: where it comes
 * from (a GitHub repository at a tag or a full commit, and the path there) and the sha256 of its
 * content. `npm run upstream:fetch` (test/reference/fetch.ts) downloads exactly these into
 * `.cache/reference` and refuses any byte that does not match; sources.test.ts checks this list
 * against the reference data wherever that is present, so the two cannot drift apart.
 *
 * Charts come from their git repositories at the release tag, not from the packaged chart
 * tarballs: Istio's release build rewrites `hub`, `tag` and `version` in the charts it packages (the
 * source has `hub: ""`, `tag: ""` and `version: 1.0.0`), so packaged values differ from the source
 * at the tag, which is what a pin can name and a checksum can hold.
 *
 * `dest` is relative to the reference directory: `upstream/...` or `schemas/crds/...`.
 */

/** One file in a public GitHub repository at a fixed ref. */
export interface GitHubFile {
  /** `owner/name`. */
  repository: string;
  /** A tag or a full 40-hex commit. */
  ref: string;
  /** Path inside the repository. */
  path: string;
  /** sha256 (hex) of the file's bytes; absent only when it could not be verified when pinned. */
  sha256?: string;
}

/** A verbatim copy of one upstream file. */
export interface CopiedFile {
  kind: "copy";
  dest: string;
  source: GitHubFile;
}

/** The JSON field names of top-level protobuf messages, one message per source file. */
export interface MeshFieldsFile {
  kind: "mesh-fields";
  dest: string;
  messages: { message: string; source: GitHubFile }[];
  /** sha256 of the derived file, so a change in the derivation shows up as a mismatch. */
  sha256?: string;
}

/** The oldest Kubernetes minor each Istio version supports (istioctl's MinK8SVersion). */
export interface MinKubernetesFile {
  kind: "min-kubernetes";
  dest: string;
  versions: { version: string; source: GitHubFile }[];
  /** sha256 of the derived file. */
  sha256?: string;
}

export type ReferenceFile = CopiedFile | MeshFieldsFile | MinKubernetesFile;

/** The upstream files a derived file is computed from. */
export function inputsOf(file: ReferenceFile): GitHubFile[] {
  switch (file.kind) {
    case "copy":
      return [file.source];
    case "mesh-fields":
      return file.messages.map((m) => m.source);
    case "min-kubernetes":
      return file.versions.map((v) => v.source);
  }
}

/** Files of one repository at one ref, each as [dest, path in the repository, sha256]. */
function files(repository: string, ref: string, rows: [string, string, string][]): CopiedFile[] {
  return rows.map(([dest, path, sha256]) => ({
    kind: "copy",
    dest,
    source: { repository, ref, path, sha256 },
  }));
}

/** CRD schemas: the same path in the catalogue as under `schemas/crds/`. */
function crds(repository: string, ref: string, rows: [string, string][]): CopiedFile[] {
  return files(
    repository,
    ref,
    rows.map(([path, sha256]) => [`schemas/crds/${path}`, path, sha256]),
  );
}

const ISTIO_API = { repository: "istio/api", ref: "b8f8791d9653b2edc77a071d48887e582cfe84bf" };
const ISTIOCTL_VERSION_GO = "istioctl/pkg/install/k8sversion/version.go";

// prettier-ignore
const COPIES: CopiedFile[] = [
  ...files("istio/istio", "1.30.3", [
    ["upstream/charts/base/1.30.3/Chart.yaml", "manifests/charts/base/Chart.yaml", "a52b0f3786932dac321471db526bad1247feac170933e8d90fecb942aba7d13d"],
    ["upstream/charts/base/1.30.3/values.yaml", "manifests/charts/base/values.yaml", "3543b89cb620ad6f8cfab3910cdf3e5d1f4af8d73d30cb73b3b36c65d3da6f56"],
    ["upstream/charts/istiod/1.30.3/Chart.yaml", "manifests/charts/istio-control/istio-discovery/Chart.yaml", "7d387c74d04462b1d63cc8d26468ef6f13434b156ee129ad6716d894658405d5"],
    ["upstream/charts/istiod/1.30.3/values.yaml", "manifests/charts/istio-control/istio-discovery/values.yaml", "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1"],
    ["upstream/charts/istiod/1.30.3/files/injection-template.yaml", "manifests/charts/istio-control/istio-discovery/files/injection-template.yaml", "3c0fedcfea11beb467613914306c1dc11fad57ceabb3b96390064368f5a77404"],
    ["upstream/charts/istiod/1.30.3/files/profile-ambient.yaml", "manifests/charts/istio-control/istio-discovery/files/profile-ambient.yaml", "dcf8adac4772e9d0e7022098a23982908e2063f3a5e0fe448e7a949f4289356d"],
    ["upstream/charts/cni/1.30.3/Chart.yaml", "manifests/charts/istio-cni/Chart.yaml", "7cde3196012a30eff76a5fbf93702321a57ee6969650e9248dd06666d3f702cd"],
    ["upstream/charts/cni/1.30.3/values.yaml", "manifests/charts/istio-cni/values.yaml", "7ee2380f25a77779ca89d2e65f8993e7920e35fb1673968053dc4e0571d5a5fb"],
    ["upstream/charts/cni/1.30.3/files/profile-ambient.yaml", "manifests/charts/istio-cni/files/profile-ambient.yaml", "dcf8adac4772e9d0e7022098a23982908e2063f3a5e0fe448e7a949f4289356d"],
    ["upstream/charts/gateway/1.30.3/Chart.yaml", "manifests/charts/gateway/Chart.yaml", "9f69b224986606d98a193537a9becc3f3228f757205e4620d0d9b58340627f94"],
    ["upstream/charts/gateway/1.30.3/values.yaml", "manifests/charts/gateway/values.yaml", "fa272809ac6991894a9ed0ad8c84995af0a65a1262ed040bf9b987f7ca8ca7b5"],
    ["upstream/charts/gateway/1.30.3/values.schema.json", "manifests/charts/gateway/values.schema.json", "6a58a62ea7417ed4e7dd18d25d0a674ce888a18d4b44fc832e876e2d7aa7c1f6"],
    ["upstream/charts/ztunnel/1.30.3/Chart.yaml", "manifests/charts/ztunnel/Chart.yaml", "fe887b88403267731f11dee728e21b598fae624f1ebf5025189d06eded720dcc"],
    ["upstream/charts/ztunnel/1.30.3/values.yaml", "manifests/charts/ztunnel/values.yaml", "84a7da68e6e727211d43d7c4714b60e0619bd8a3dede33c9412bfb47b47ed34e"],
  ]),
  // The newest 1.31 source when this list was made; chart values do not change within a minor in practice.
  ...files("istio/istio", "1.31.0-rc.0", [
    ["upstream/charts/base/1.31.0-rc.0/Chart.yaml", "manifests/charts/base/Chart.yaml", "a52b0f3786932dac321471db526bad1247feac170933e8d90fecb942aba7d13d"],
    ["upstream/charts/base/1.31.0-rc.0/values.yaml", "manifests/charts/base/values.yaml", "f92dd6226e623b340ead3a2762548a1d629a9fe2ae11a457205193aa10cb6ac6"],
    ["upstream/charts/istiod/1.31.0-rc.0/Chart.yaml", "manifests/charts/istio-control/istio-discovery/Chart.yaml", "7d387c74d04462b1d63cc8d26468ef6f13434b156ee129ad6716d894658405d5"],
    ["upstream/charts/istiod/1.31.0-rc.0/values.yaml", "manifests/charts/istio-control/istio-discovery/values.yaml", "d6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1"],
    ["upstream/charts/istiod/1.31.0-rc.0/files/injection-template.yaml", "manifests/charts/istio-control/istio-discovery/files/injection-template.yaml", "309fcc06fc91ac3a37e6974f194e67c1083dcfd3e64328aea2eb006e2a88749d"],
    ["upstream/charts/istiod/1.31.0-rc.0/files/profile-ambient.yaml", "manifests/charts/istio-control/istio-discovery/files/profile-ambient.yaml", "dcf8adac4772e9d0e7022098a23982908e2063f3a5e0fe448e7a949f4289356d"],
    ["upstream/charts/cni/1.31.0-rc.0/Chart.yaml", "manifests/charts/istio-cni/Chart.yaml", "7cde3196012a30eff76a5fbf93702321a57ee6969650e9248dd06666d3f702cd"],
    ["upstream/charts/cni/1.31.0-rc.0/values.yaml", "manifests/charts/istio-cni/values.yaml", "7ee2380f25a77779ca89d2e65f8993e7920e35fb1673968053dc4e0571d5a5fb"],
    ["upstream/charts/cni/1.31.0-rc.0/files/profile-ambient.yaml", "manifests/charts/istio-cni/files/profile-ambient.yaml", "dcf8adac4772e9d0e7022098a23982908e2063f3a5e0fe448e7a949f4289356d"],
    ["upstream/charts/gateway/1.31.0-rc.0/Chart.yaml", "manifests/charts/gateway/Chart.yaml", "9f69b224986606d98a193537a9becc3f3228f757205e4620d0d9b58340627f94"],
    ["upstream/charts/gateway/1.31.0-rc.0/values.yaml", "manifests/charts/gateway/values.yaml", "d42c4a0b692d5b39abd36021a5144891e5f139bffba690ec9749f700d898eb03"],
    ["upstream/charts/gateway/1.31.0-rc.0/values.schema.json", "manifests/charts/gateway/values.schema.json", "a0e4ef9777d3a2ad99cd4099099d44fdae9bdd2b97a6e074262a0def0eae758e"],
    ["upstream/charts/ztunnel/1.31.0-rc.0/Chart.yaml", "manifests/charts/ztunnel/Chart.yaml", "fe887b88403267731f11dee728e21b598fae624f1ebf5025189d06eded720dcc"],
    ["upstream/charts/ztunnel/1.31.0-rc.0/values.yaml", "manifests/charts/ztunnel/values.yaml", "54b39d3222bc5fe2fa6debb572bbf988b88f8f8273425f57951fc50af08f8cb4"],
  ]),
  ...files("prometheus-community/helm-charts", "kube-prometheus-stack-85.1.2", [
    ["upstream/charts/kube-prometheus-stack/85.1.2/Chart.yaml", "charts/kube-prometheus-stack/Chart.yaml", "afe5ee696bac6b1b8ac230c45011eededcfa8885d28a4a84ddc36316c8e31d3d"],
    ["upstream/charts/kube-prometheus-stack/85.1.2/values.yaml", "charts/kube-prometheus-stack/values.yaml", "026de7ae481df752569c8f818836539e3e429b0774d5fa3dd90cf35815b906e7"],
  ]),
  ...files("prometheus-community/helm-charts", "kube-prometheus-stack-88.5.3", [
    ["upstream/charts/kube-prometheus-stack/88.5.3/Chart.yaml", "charts/kube-prometheus-stack/Chart.yaml", "e4af5d8f82d2c626d7a0c52dab589a39817acae7486196de16eef230388eb7ed"],
    ["upstream/charts/kube-prometheus-stack/88.5.3/values.yaml", "charts/kube-prometheus-stack/values.yaml", "659289e3cc0ff503db75dd2969c8fe7295657357b82ff085d0b2a824d68b7755"],
  ]),
  ...files("kiali/helm-charts", "v2.29.0", [
    ["upstream/charts/kiali-server/2.29.0/Chart.yaml", "kiali-server/Chart.yaml", "3a19b6503cd90ae00ebcd6c9999e809b03196d1edf372bbfe4242703dacff196"],
    ["upstream/charts/kiali-server/2.29.0/values.yaml", "kiali-server/values.yaml", "87f0f35cfcf25716b69662c51eb78c6da34b939af70cfc5ceab647edef170255"],
  ]),
  ...files("jaegertracing/helm-charts", "6c602b54a1800ff35ea055d16789a9522166e0a6", [
    ["upstream/charts/jaeger/4.11.1/Chart.yaml", "charts/jaeger/Chart.yaml", "d2e133eedc21a05408c384c1fb8aa46cf033231b032c57dec0dc37a86dba0584"],
    ["upstream/charts/jaeger/4.11.1/values.yaml", "charts/jaeger/values.yaml", "e19209d788272bf709a976a3b333636f49d32355fe3baa849aec2bd043abf021"],
  ]),
  ...files("fluxcd/flagger", "v1.44.0", [
    ["upstream/charts/flagger/1.44.0/Chart.yaml", "charts/flagger/Chart.yaml", "a4ac0f400a8192bd2a6740a1ec04c725bb5a7410865df497ad06ebba456e60c7"],
    ["upstream/charts/flagger/1.44.0/values.yaml", "charts/flagger/values.yaml", "fcc57720ce3593d43ddbbc30e50477d7e29c4d42b7e3aa8130c737f751ae0176"],
  ]),
  ...files("argoproj/argo-helm", "af0a9310bacbaa4636018dfe22c801a6d33a5c43", [
    ["upstream/charts/argo-rollouts/2.41.0/Chart.yaml", "charts/argo-rollouts/Chart.yaml", "95c65b7fa131c8ea70d775584378f5a9d8e7e418dce5e831a54f460b278676d0"],
    ["upstream/charts/argo-rollouts/2.41.0/values.yaml", "charts/argo-rollouts/values.yaml", "d2c66ff020614592654df0f714324b4f5b826888704c5d020b9d1973378bc8fa"],
  ]),
  // The strict CRD schemas of datreeio/CRDs-catalog (MIT); its LICENSE is not part of the data.
  ...crds("datreeio/CRDs-catalog", "7b1e26ef9deea49293714d204c1a2270aab1178f", [
    ["argoproj.io/analysisrun_v1alpha1.json", "b670b1a88af5d742242b83993826e20c06a25a48116e4019e7bcc63af8986932"],
    ["argoproj.io/analysistemplate_v1alpha1.json", "0954894b2a35edaabce26497bd732ef5c340a4cc93615744a88bc11668d1f39b"],
    ["argoproj.io/rollout_v1alpha1.json", "d8e5ccc2ab14aa91026ef41a81a3719e02c3f0b3fd377c428005f763e013b3b5"],
    ["extensions.istio.io/wasmplugin_v1alpha1.json", "2ab2e5b60e06686b9c40a1ac8a7c4ea22b18c0dc720c4813855409c05e2cbfa0"],
    ["flagger.app/alertprovider_v1beta1.json", "d13dcf9598cd85bebaf8848547edf0dcba7bab2065c72322a8fbc4f96e67a5ca"],
    ["flagger.app/canary_v1beta1.json", "6b28533ef7fbc957e16b14038c7803e617b36d541326451658a930793bc82d05"],
    ["flagger.app/metrictemplate_v1beta1.json", "6918872944573de93aa74b8e3cde78e7e864ce9bdbed933cfc58a7dcf5d5f9ad"],
    ["gateway.networking.k8s.io/backendtlspolicy_v1.json", "feb65e3f4fe0a11273ed5110a723e12c04c43fdf092069b73bcb23a1519f0288"],
    ["gateway.networking.k8s.io/gateway_v1.json", "85575b3a7d79416f8b09658cf6a3f9a6b79544bbf10c4c465c78bdaab1ea0364"],
    ["gateway.networking.k8s.io/gatewayclass_v1.json", "55ac5a206d83a21bd8bb177b0fa76402d10d867c63d46c5a75fbfff5f811a7e7"],
    ["gateway.networking.k8s.io/grpcroute_v1.json", "411c7b3641424552abdcef92e0b0acdc7a4cce1056ba639eebaa87befd269af7"],
    ["gateway.networking.k8s.io/httproute_v1.json", "e5692e62edd9b8a14bd2527d0a732e174a649131aa4d47159737dc6527c59ca5"],
    ["gateway.networking.k8s.io/listenerset_v1.json", "f5bab5719241b7924f24581b90d9e74edfe17e445735e18891bfcdb78559511e"],
    ["gateway.networking.k8s.io/referencegrant_v1.json", "d73504390fd782268167eae5e0dd95d1081fa00ed48d748fec015c8f4b954ca7"],
    ["gateway.networking.k8s.io/tcproute_v1.json", "91b0188d2b7b0552c462e1fc7dd531b735013e8762d725fdc1e42e49e4bf4418"],
    ["gateway.networking.k8s.io/tlsroute_v1.json", "82247e56eaeb09992d3a669517ede0e8dac6fd9a9a10a354dae946b51d048ba6"],
    ["jaegertracing.io/jaeger_v1.json", "cb52534c17e59f8f0ae6c3ca35a75dacc39ef60deab8c952e6bdec3ea58cb011"],
    ["monitoring.coreos.com/podmonitor_v1.json", "a33fd47f73be948090327c6d2076f4739217111e1caf8a2999a5562c59eade9c"],
    ["monitoring.coreos.com/probe_v1.json", "5fa3af418614c9fbb31a25edbd37748613efd25ee2c5c15ca1815ae1647e9802"],
    ["monitoring.coreos.com/prometheusrule_v1.json", "9cd71d75b714b541a0be960b46bd961dbf1f0106071381cd88f54dfe80b8bd9d"],
    ["monitoring.coreos.com/servicemonitor_v1.json", "8978f86e2a7cb281a9ca7bc30d857e0553666658dfe062078c51e99d3f20cd14"],
    ["networking.istio.io/destinationrule_v1.json", "332a84cc29b45551d9aa6d4282c108c4d99ff6d4fa62848ad74221226737b691"],
    ["networking.istio.io/envoyfilter_v1alpha3.json", "90d4e4c974fd03fa410e125370f02490ebea99432e81952a9dc52053db386b71"],
    ["networking.istio.io/gateway_v1.json", "1982366d33fe713f3f822ac01e141404a0a8f0635defddf4c78e272e9ece055b"],
    ["networking.istio.io/proxyconfig_v1beta1.json", "a90634a30e370809dc600884565401b9d0432344d4e247099399565485874b35"],
    ["networking.istio.io/serviceentry_v1.json", "8e46710fa0aa3976bd0b2259b1144ebc59ac7339efac57bfb94c7347b833155b"],
    ["networking.istio.io/sidecar_v1.json", "448b89cf1c1a1965475e5888f3f3c7dade49c92ecbe2157d9935c5a37c0f9ab7"],
    ["networking.istio.io/virtualservice_v1.json", "ea15f5cb9aecbddaf722a05b0c2897381e8fd1d376fcaa0d4439d2de1f1c9264"],
    ["networking.istio.io/workloadentry_v1.json", "35ba168bc31fcb67a4914eb99c034078dd3d27f720e24983d7a236a7d22e8c51"],
    ["opentelemetry.io/instrumentation_v1alpha1.json", "aa000f400726a58d7787565b12f5b1fc1f50fff75abf5cf4f2f7591beed16cbf"],
    ["opentelemetry.io/opentelemetrycollector_v1beta1.json", "28d7f0d026c9806074ec8c44fa64ac2c556d794e3bb528d59e7471f7ddb54148"],
    ["security.istio.io/authorizationpolicy_v1.json", "fbcb75e9ef6cd0f8ca184c16dea7a29f540cb8b883012770b25e79f1357967b0"],
    ["security.istio.io/peerauthentication_v1.json", "709036474de0fb0a939163bb1eaf014e3f83f65b9971cd505e08b7104aacbace"],
    ["security.istio.io/requestauthentication_v1.json", "2c58b53c10ee174d968567cb544dc548fcd6f1674ccc85dbb507d6681667b0e2"],
    ["telemetry.istio.io/telemetry_v1.json", "1eb24be6d9dd7ec1a3b10fbc254dab24be5e1a87557658a2a60187badfeec5bc"],
  ]),
];

const DERIVED: ReferenceFile[] = [
  {
    // What `meshConfig.*` and `meshConfig.defaultConfig.*` may set.
    kind: "mesh-fields",
    dest: "upstream/istio-api/mesh-fields.json",
    messages: [
      {
        message: "MeshConfig",
        source: {
          ...ISTIO_API,
          path: "mesh/v1alpha1/config.proto",
          sha256: "e3ada14cf8a5c4b4b47e1c2c15fbc93bb55884d0c496009489b9ab3c44bd4562",
        },
      },
      {
        message: "ProxyConfig",
        source: {
          ...ISTIO_API,
          path: "mesh/v1alpha1/proxy.proto",
          sha256: "9651c2b90d0c23727b31b35624debe5ba98736d24ee6f7391219d2ab21d650d0",
        },
      },
    ],
    sha256: "86f9615013bc96f15d701273aa674c412533f5c90386429e0ba4860b2c442b8d",
  },
  {
    kind: "min-kubernetes",
    dest: "upstream/istio-api/min-kubernetes.json",
    versions: ["1.30.3", "1.31.0-rc.0"].map((version) => ({
      version,
      source: {
        repository: "istio/istio",
        ref: version,
        path: ISTIOCTL_VERSION_GO,
        // The same file at both tags.
        sha256: "dcb05be3c03f823756389714e39140ee515c1d503c701a58e8686b913c85f48a",
      },
    })),
    sha256: "6b0f4d8411696ee25911f6c1b25f91c107c962758053ea9763564a2f3a1033ac",
  },
];

export const SOURCES: readonly ReferenceFile[] = [...COPIES, ...DERIVED];
