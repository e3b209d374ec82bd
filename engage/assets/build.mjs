// Builds engage/static/ from GOV.UK Frontend: CSS compiled with Arial, the JavaScript, and nothing with a crown.
import { compile } from "sass";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const out = join(root, "engage", "static");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
mkdirSync(out, { recursive: true });

const css = compile(join(here, "engage.scss"), {
  loadPaths: [join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "engage.css"), css.css);
copyFileSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
copyFileSync(join(here, "init.js"), join(out, "init.js"));
copyFileSync(join(here, "analysis.js"), join(out, "analysis.js"));
copyFileSync(join(here, "favicon.svg"), join(out, "favicon.svg"));
console.log(`built ${out}`);
