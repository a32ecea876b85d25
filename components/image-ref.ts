/** An image reference pinned by digest, as workloads run it; pure, so the settings check it too. */

/** A registry host: a domain name with a dot, or localhost, and an optional port. */
const HOST = String.raw`(?:localhost|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)(?::\d+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;

/** `<registry host>/<repository>[:<tag>]@sha256:<64 hex>`, with its parts as groups. */
export const PINNED_IMAGE = new RegExp(
  `^(${HOST})/(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?@(sha256:[0-9a-f]{64})$`,
);

export interface PinnedImage {
  /** Registry host[:port], what pull credentials apply to. */
  registry: string;
  repository: string;
  /** Kept only as a label of intent: the digest decides what runs. */
  tag?: string;
  /** `sha256:...` */
  digest: string;
}

/** The parts of a reference pinned by digest; undefined when it is not one. */
export function parsePinnedImage(ref: string): PinnedImage | undefined {
  const m = PINNED_IMAGE.exec(ref);
  if (!m) return undefined;
  return { registry: m[1], repository: m[2], tag: m[3], digest: m[4] };
}

/** Which part of a reference that is not pinned by digest is wrong (empty when it is pinned). */
export function pinnedImageDefect(ref: string): string {
  if (PINNED_IMAGE.test(ref)) return "";
  if (!/@sha256:[0-9a-f]{64}$/.test(ref))
    return " (no digest: a tag alone may name other bytes in each environment)";
  const slash = ref.indexOf("/");
  if (slash < 0) return " (no registry host: expected <registry>/<repository>@sha256:<64 hex>)";
  const host = ref.slice(0, slash);
  if (!new RegExp(`^${HOST}$`).test(host)) {
    return ` (${JSON.stringify(host)} is not a registry host: a domain name with a dot, localhost, or host:port)`;
  }
  return " (not a lowercase repository[:tag] after the registry host)";
}
