// Builds app/ once before the suite: process-level tests run the same compiled output as the image.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, "../..");
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "app/tsconfig.json")],
    {
      cwd: root,
      stdio: "inherit",
    },
  );
};
