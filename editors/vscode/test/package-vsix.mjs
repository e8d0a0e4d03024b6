// Packages the extension as a .vsix (a zip: extension.vsixmanifest, [Content_Types].xml, extension/...),
// offline, without @vscode/vsce. Run after `tsc`. Prints the path of the .vsix.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'vsix-'));
const ext = path.join(stage, 'extension');

const copy = (from, to = from) => fs.cpSync(path.join(root, from), path.join(ext, to), { recursive: true, filter: (src) => !src.endsWith('.map') });
copy('package.json');
copy('README.md');
copy('out');
copy('media');
// Runtime dependencies (vscode-jsonrpc has none of its own).
for (const dep of Object.keys(pkg.dependencies ?? {})) copy(path.join('node_modules', dep));

const xml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
fs.writeFileSync(
  path.join(stage, 'extension.vsixmanifest'),
  `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${xml(pkg.name)}" Version="${xml(pkg.version)}" Publisher="${xml(pkg.publisher)}" />
    <DisplayName>${xml(pkg.displayName)}</DisplayName>
    <Description xml:space="preserve">${xml(pkg.description)}</Description>
    <Tags></Tags>
    <Categories>${xml((pkg.categories ?? []).join(','))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${xml(pkg.engines.vscode)}" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace" />
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value="" />
    </Properties>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code" />
  </Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true" />
  </Assets>
</PackageManifest>
`,
);

const extensions = new Set(['.vsixmanifest', '.json']);
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (path.extname(e.name)) extensions.add(path.extname(e.name).toLowerCase());
  }
};
walk(ext);
const types = { '.json': 'application/json', '.js': 'application/javascript', '.md': 'text/markdown', '.svg': 'image/svg+xml', '.vsixmanifest': 'text/xml', '.txt': 'text/plain', '.ts': 'text/plain' };
fs.writeFileSync(
  path.join(stage, '[Content_Types].xml'),
  `<?xml version="1.0" encoding="utf-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">${[...extensions]
    .sort()
    .map((x) => `<Default Extension="${xml(x)}" ContentType="${types[x] ?? 'application/octet-stream'}"/>`)
    .join('')}</Types>\n`,
);

const vsix = path.join(root, `${pkg.name}-${pkg.version}.vsix`);
fs.rmSync(vsix, { force: true });
execFileSync('zip', ['-q', '-r', '-X', vsix, 'extension.vsixmanifest', '[Content_Types].xml', 'extension'], { cwd: stage, stdio: 'inherit' });
fs.rmSync(stage, { recursive: true, force: true });
console.log(vsix);
