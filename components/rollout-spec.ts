import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { RolloutIstioRouting } from "./crds";
import type { Autoscaling } from "./types";
import { APP_NAME, selectorLabels, serviceSelector } from "./workload";

/**
 * Pure builders of an instance's workload controllers: its Deployments, or the Argo Rollout
 * (argoproj.io/v1alpha1) that replaces them, and the autoscaler of either.
 */

type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
/** A pod template as the component builds it: its spec a plain object, not an Input. */
type PlainPodTemplate = { metadata: k8s.types.input.meta.v1.ObjectMeta; spec: PodSpec };
type PodSpec = k8s.types.input.core.v1.PodSpec;
type TopologySpreadConstraint = k8s.types.input.core.v1.TopologySpreadConstraint;

/** Pacing shared by Deployments and the Rollout. */
const PACING = { minReadySeconds: 5, revisionHistoryLimit: 5, progressDeadlineSeconds: 300 } as const;

/** One version's Deployment: surge one pod and never drop below the desired count during an update. */
export function deploymentSpec(
  version: string,
  replicas: number | undefined,
  template: PodTemplateSpec,
): k8s.types.input.apps.v1.DeploymentSpec {
  return {
    replicas,
    selector: { matchLabels: selectorLabels(version) },
    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    ...PACING,
    template,
  };
}

/**
 * The Rollout's name. Istio reports its pods as `destination_workload=<name>` (istio/istio 1.31
 * pkg/kube/util.go, "Heuristic for ArgoCD Rollout"), and the controller names each ReplicaSet
 * `<name>-<pod template hash>` (argo-rollouts v1.9.0 rollout/sync.go), hence each pod
 * `<name>-<hash>-<suffix>`: what the analysis queries select the canary's pods by.
 */
export const ROLLOUT_NAME = APP_NAME;

/** The label the controller adds to every pod of a Rollout's ReplicaSet (v1alpha1 `DefaultRolloutUniqueLabelKey`). */
export const ROLLOUT_HASH_LABEL = "rollouts-pod-template-hash";

/**
 * The ephemeral label telling canary pods from stable ones. The controller merges
 * `canaryMetadata`/`stableMetadata` into each ReplicaSet's pods and relabels them in place when
 * they change role (argo-rollouts docs/features/ephemeral-metadata.md), so a Service selecting
 * `canary` reaches the canary's pods only, and the controller never writes the Service.
 */
export const ROLE_LABEL = "rollout-role";
export const ROLES = { canary: "canary", stable: "stable" } as const;

/** The Service in front of the canary's pods: what the acceptance check calls. */
export const CANARY_SERVICE_NAME = `${APP_NAME}-canary`;

/** Selects the canary's pods only: the app's pods while they carry the canary role. */
export function canaryServiceSelector(): Record<string, string> {
  return { ...serviceSelector(), [ROLE_LABEL]: ROLES.canary };
}

/** The argument the analysis step passes: the hash of the newest ReplicaSet, the canary's. */
export const CANARY_HASH_ARG = "canary-hash";

/** One step of the canary: shift weight, wait (until promoted by hand when no duration), or run the analysis. */
export type RolloutStep = { setWeight: number } | { pause: { duration?: string } } | "analysis";

/** 20% of the traffic, a minute for metrics to accrue, analysis; 50%, analysis; then everything. */
export const DEFAULT_ROLLOUT_STEPS: readonly RolloutStep[] = [
  { setWeight: 20 },
  { pause: { duration: "1m" } },
  "analysis",
  { setWeight: 50 },
  "analysis",
  { setWeight: 100 },
];

/** The steps as the Rollout spells them; "analysis" runs `templateName` on the canary's hash. */
export function canarySteps(steps: readonly RolloutStep[], templateName: pulumi.Input<string>): object[] {
  return steps.map((step) => {
    if (step === "analysis") {
      return {
        analysis: {
          templates: [{ templateName }],
          // argo-rollouts v1.9.0 utils/analysis/factory.go: Latest is the new ReplicaSet's hash.
          args: [{ name: CANARY_HASH_ARG, valueFrom: { podTemplateHashValue: "Latest" } }],
        },
      };
    }
    if (
      "setWeight" in step &&
      !(Number.isInteger(step.setWeight) && step.setWeight >= 0 && step.setWeight <= 100)
    ) {
      throw new Error(`rollout step setWeight ${step.setWeight}: expected a whole percentage from 0 to 100`);
    }
    return step;
  });
}

/**
 * The pod template of a Deployment, for a Rollout: topology spread per ReplicaSet goes by the hash
 * label the Rollout's pods carry (they carry no `pod-template-hash`).
 */
export function rolloutPodTemplate(template: PlainPodTemplate): PodTemplateSpec {
  // podSpec builds the constraints as a plain array (components/workload.ts).
  const spread = template.spec.topologySpreadConstraints as TopologySpreadConstraint[] | undefined;
  return {
    ...template,
    spec: {
      ...template.spec,
      topologySpreadConstraints: spread?.map((c) => ({ ...c, matchLabelKeys: [ROLLOUT_HASH_LABEL] })),
    },
  };
}

/** An Argo Rollout in place of the Deployment: each new pod template is a canary gated by analysis. */
export interface RolloutArgs {
  /** The AnalysisTemplate the analysis steps run: CanaryAnalysis's `templateName`. */
  analysisTemplate: pulumi.Input<string>;
  /** Where the controller shifts traffic: Traffic's `rolloutRouting` in analysis mode. */
  trafficRouting: RolloutIstioRouting;
  /** DEFAULT_ROLLOUT_STEPS when absent. */
  steps?: readonly RolloutStep[];
  /** The Service in front of the canary's pods; CANARY_SERVICE_NAME when absent. */
  canaryServiceName?: string;
  /** The argo-rollouts release: the Rollout waits for its CRD. */
  dependsOn?: pulumi.Resource[];
}

export interface RolloutSpecArgs {
  /** Absent when an autoscaler drives the Rollout through its scale subresource. */
  replicas?: number;
  template: PlainPodTemplate;
  trafficRouting: RolloutIstioRouting;
  steps: readonly RolloutStep[];
  analysisTemplate: pulumi.Input<string>;
}

/**
 * A canary Rollout with Istio subset-level splitting (argo-rollouts docs/features/traffic-management/istio.md):
 * the controller moves the VirtualService's weights and labels the DestinationRule's subsets.
 * The selector is the app label only: `version` stays in the template, free to change.
 */
export function rolloutSpec(args: RolloutSpecArgs): object {
  return {
    ...(args.replicas === undefined ? {} : { replicas: args.replicas }),
    selector: { matchLabels: serviceSelector() },
    template: rolloutPodTemplate(args.template),
    ...PACING,
    strategy: {
      canary: {
        // Never below the desired count while stable and canary pods are swapped.
        maxUnavailable: 0,
        canaryMetadata: { labels: { [ROLE_LABEL]: ROLES.canary } },
        stableMetadata: { labels: { [ROLE_LABEL]: ROLES.stable } },
        trafficRouting: { istio: args.trafficRouting },
        steps: canarySteps(args.steps, args.analysisTemplate),
      },
    },
  };
}

/**
 * What the controller and the autoscaler write into the Rollout object itself: the revision
 * annotation (argo-rollouts v1.9.0 rollout/sync.go, `annotations.SetRolloutRevision` then Update)
 * and, through the `/scale` subresource, `spec.replicas` (the CRD's `specReplicasPath`).
 */
export function rolloutIgnoredChanges(autoscaled: boolean): string[] {
  return ['metadata.annotations["rollout.argoproj.io/revision"]', ...(autoscaled ? ["spec.replicas"] : [])];
}

/** What a HorizontalPodAutoscaler scales and by which bounds. */
export function autoscalerSpec(
  scaleTargetRef: { apiVersion: string; kind: string; name: pulumi.Input<string> },
  a: Autoscaling,
): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec {
  return {
    scaleTargetRef,
    minReplicas: a.minReplicas,
    maxReplicas: a.maxReplicas,
    metrics: [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.cpuUtilization } },
      },
    ],
    // Scale down slowly: a short dip must not remove capacity the next spike needs.
    behavior: {
      scaleDown: {
        stabilizationWindowSeconds: 300,
        policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
      },
    },
  };
}
