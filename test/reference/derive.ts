/**
 * The two reference files that are derived from upstream sources rather than copied: the field
 * names of Istio's MeshConfig and ProxyConfig (from istio/api's protos) and the oldest Kubernetes
 * minor each Istio version supports (from istioctl's Go source). Pure functions over source text.
 */

/** A proto token: an identifier (possibly dotted), a number, a string literal or one symbol. */
function protoTokens(source: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (source.startsWith("//", i)) {
      const end = source.indexOf("\n", i);
      i = end < 0 ? source.length : end + 1;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw new Error("proto: unterminated /* comment");
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
      if (j >= source.length) throw new Error("proto: unterminated string literal");
      tokens.push(source.slice(i, j + 1));
      i = j + 1;
    } else {
      const word = /^[A-Za-z0-9_.+-]+/.exec(source.slice(i, i + 200));
      const token = word ? word[0] : c;
      tokens.push(token);
      i += token.length;
    }
  }
  return tokens;
}

/** The index just past the block whose `{` is at `open`. */
function skipBlock(tokens: string[], open: number): number {
  if (tokens[open] !== "{") throw new Error(`proto: expected "{", got ${JSON.stringify(tokens[open])}`);
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i] === "{") depth++;
    else if (tokens[i] === "}" && --depth === 0) return i + 1;
  }
  throw new Error("proto: unbalanced braces");
}

/** The index just past the `;` ending the statement that starts at `start` (options may nest). */
function skipStatement(tokens: string[], start: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === "[" || t === "{" || t === "(") depth++;
    else if (t === "]" || t === "}" || t === ")") depth--;
    else if (t === ";" && depth === 0) return i + 1;
  }
  throw new Error("proto: statement without a terminating ';'");
}

/** protoc's JSON name of a field: `proxy_listen_port` -> `proxyListenPort`, `mesh_mTLS` -> `meshMTLS`. */
export function protoJsonName(field: string): string {
  return field.replace(/_+(.?)/g, (_, next: string) => next.toUpperCase());
}

/** One field statement: its name (the token before `=`) and its JSON name, honouring `json_name`. */
function fieldName(tokens: string[], start: number, end: number): string {
  const eq = tokens.indexOf("=", start);
  if (eq <= start || eq >= end)
    throw new Error(`proto: cannot read a field from "${tokens.slice(start, end).join(" ")}"`);
  const options = tokens.slice(eq + 1, end);
  const custom = options.indexOf("json_name");
  if (custom >= 0 && options[custom + 1] === "=") return JSON.parse(options[custom + 2]) as string;
  return protoJsonName(tokens[eq - 1]);
}

/** Field statements of a message or oneof body from `start` up to its closing `}`. */
function bodyFields(tokens: string[], start: number): { fields: string[]; end: number } {
  const fields: string[] = [];
  let i = start;
  while (tokens[i] !== "}") {
    if (i >= tokens.length) throw new Error("proto: message body without a closing '}'");
    const t = tokens[i];
    if (t === "message" || t === "enum" || t === "extend" || t === "service") {
      // Nested types declare no fields of this message.
      i = skipBlock(tokens, i + 2);
    } else if (t === "oneof") {
      // A oneof's members are ordinary fields of the enclosing message.
      const inner = bodyFields(tokens, i + 3);
      fields.push(...inner.fields);
      i = inner.end + 1;
    } else if (t === "reserved" || t === "option" || t === "extensions") {
      i = skipStatement(tokens, i);
    } else if (t === ";") {
      i++;
    } else {
      const end = skipStatement(tokens, i);
      fields.push(fieldName(tokens, i, end - 1));
      i = end;
    }
  }
  return { fields, end: i };
}

/**
 * The JSON (camelCase) names of the direct fields of the top-level `message` in a .proto file, in
 * declaration order: oneof members included; nested messages, enums and `reserved` names not.
 */
export function protoMessageFields(proto: string, message: string): string[] {
  const tokens = protoTokens(proto);
  let i = 0;
  while (i < tokens.length) {
    if (tokens[i] === "message" && tokens[i + 2] === "{") {
      if (tokens[i + 1] === message) return bodyFields(tokens, i + 3).fields;
      i = skipBlock(tokens, i + 2);
    } else if (tokens[i] === "{") {
      i = skipBlock(tokens, i);
    } else {
      i++;
    }
  }
  throw new Error(`proto: no top-level message ${message}`);
}

/**
 * The value of an integer constant declared in Go source (`Name = 32` in a const block, or
 * `const Name = 32`, optionally typed). Throws unless exactly one declaration is found.
 */
export function goIntConstant(source: string, name: string): number {
  const pattern = new RegExp(
    `^\\s*(?:const\\s+)?${name}(?:\\s+[A-Za-z_]\\w*)?\\s*=\\s*(\\d+)\\s*(?://.*)?$`,
    "gm",
  );
  const values = [...source.matchAll(pattern)].map((m) => Number(m[1]));
  if (values.length !== 1) {
    throw new Error(`go: expected one integer constant ${name}, found ${values.length}`);
  }
  return values[0];
}

/** istioctl's MinK8SVersion: the oldest Kubernetes minor (1.<minor>) an Istio version supports. */
export function minKubernetesMinor(versionGo: string): number {
  return goIntConstant(versionGo, "MinK8SVersion");
}

/** `upstream/istio-api/mesh-fields.json`: `{ source, <message>: [fields...], ... }`, one-space indent. */
export function meshFieldsJson(
  source: string,
  messages: ReadonlyArray<{ message: string; fields: string[] }>,
): string {
  const doc: Record<string, unknown> = { source };
  for (const { message, fields } of messages) doc[message] = fields;
  return `${JSON.stringify(doc, null, 1)}\n`;
}

/** `upstream/istio-api/min-kubernetes.json`: one line per Istio version, in the order given. */
export function minKubernetesJson(versions: ReadonlyArray<{ version: string; minor: number }>): string {
  const lines = versions.map(
    ({ version, minor }) => ` ${JSON.stringify(version)}: { "minKubernetesMinor": ${minor} }`,
  );
  return `{\n${lines.join(",\n")}\n}\n`;
}
