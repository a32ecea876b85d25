// The Pulumi Kubernetes provider, served from its Go module.
//
// The module's own main (cmd/pulumi-resource-kubernetes) embeds files its release build generates
// (schema-embed.json, terraform-mapping-embed.json), which the module archive does not carry. This
// main serves the same provider with the schema and mapping the module does carry, which
// test/cluster/tools/build.sh puts beside the binary.
package main

import (
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

func main() {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	dir := filepath.Dir(exe)
	schema, err := os.ReadFile(filepath.Join(dir, "pulumi-resource-kubernetes.schema.json"))
	if err != nil {
		panic(err)
	}
	mapping, err := os.ReadFile(filepath.Join(dir, "pulumi-resource-kubernetes.terraform-mapping.json"))
	if err != nil {
		panic(err)
	}
	provider.Serve("kubernetes", version.Version, schema, mapping)
}
